"""Registers (台账) kept by a unit's officer: by hand and by spreadsheet (all or nothing, row:column errors), the
rules that run on them at their boundary dates, and what the leaders see."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, NodeKind, Notification, OrgNode, SecretCarrier, SecretPerson
from inspect_app.services import Conflict, DomainError, NotAllowed, analytics, dashboard, registers, spreadsheets
from inspect_app.services.rectification import ClassifiedText

from .helpers import node, user

TODAY = date(2026, 6, 15)
PERSONNEL, CARRIERS, DEVICES, MATTERS = (registers.REGISTERS[k] for k in ("personnel", "carriers", "devices",
                                                                           "matters"))


def person(number: str = "RY-001", **fields) -> dict:
    return {"number": number, "name": "张明", "post": "办公室 机要员", "person_class": "重要",
            "vetted_on": "2024-03-01", "pledged_on": "2024-03-02", "trained_on": "2026-04-10", **fields}


def carrier(number: str = "ZT-001", **fields) -> dict:
    return {"number": number, "title": "关于年度工作安排的通知", "kind": "paper", "level": "秘密", "source": "收文",
            "holder": "李华", "received_on": "2025-05-06", "state": "在用", **fields}


def add(register, raw: dict, unit: str = "DH-ZFB", by: str = "officer", **kwargs):
    return registers.create_entry(db.session, user(by), node(unit), register, raw, today=TODAY, **kwargs)


def actions(action: str) -> list[AuditRecord]:
    return db.session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)).all()


# Keeping a register by hand ------------------------------------------------------------------------------


def test_the_officer_adds_changes_and_removes_an_entry_and_every_step_is_audited(demo):
    entry = add(PERSONNEL, person())
    assert (entry.unit_id, entry.number, entry.person_class, entry.vetted_on) == (
        node("DH-ZFB").id, "RY-001", "important", date(2024, 3, 1))
    changed = registers.update_entry(db.session, user("officer"), entry, PERSONNEL,
                                     person(left_on="2026-05-31", declear_until="2027-05-31"), revision=1,
                                     today=TODAY)
    assert changed == ["left_on", "declear_until"] and entry.revision == 2
    assert registers.update_entry(db.session, user("officer"), entry, PERSONNEL,
                                  person(left_on="2026-05-31", declear_until="2027-05-31"), revision=2,
                                  today=TODAY) == []  # the same values: nothing saved, nothing audited
    assert PERSONNEL.state_of(entry, TODAY) == "declearing"
    registers.remove_entry(db.session, user("officer"), entry, PERSONNEL, revision=2)
    assert db.session.scalar(select(func.count()).select_from(SecretPerson)) == 0
    assert [r.details for r in actions("registers.update")] == [
        '{"fields":["left_on","declear_until"],"number":"RY-001","register":"personnel"}']
    assert len(actions("registers.create")) == 1 and "张明" in actions("registers.remove")[0].details
    assert {r.unit_id for r in actions("registers.create") + actions("registers.remove")} == {node("DH-ZFB").id}


@pytest.mark.parametrize(("username", "unit"), [("inspector", "DH-ZFB"), ("leader", "DH-ZFB"),
                                                ("officer2", "DH-ZFB")])
def test_only_the_units_own_officer_keeps_its_registers(demo, username, unit):
    with pytest.raises(NotAllowed):
        add(PERSONNEL, person(), unit=unit, by=username)
    entry = add(PERSONNEL, person())
    with pytest.raises(NotAllowed):
        registers.update_entry(db.session, user(username), entry, PERSONNEL, person(name="王五"), revision=1)
    with pytest.raises(NotAllowed):
        registers.remove_entry(db.session, user(username), entry, PERSONNEL, revision=1)


@pytest.mark.parametrize(("raw", "field", "words"), [
    (person(name=""), "name", "必填"),
    (person(vetted_on="2024/13/40"), "vetted_on", "日期应写作"),
    (person(person_class="特级"), "person_class", "核心、重要、一般"),
    (person(trained_on="2026-06-16"), "trained_on", "不能晚于今天"),
    (person(declear_until="2027-01-01"), "declear_until", "先填离岗离职日期"),
    (person(left_on="2026-01-01", declear_until="2025-12-31"), "declear_until", "脱密期不能在离岗之前结束"),
    (person(number="x" * 41), "number", "不能超过 40 个字"),
])
def test_bad_values_are_refused_with_the_field_named(demo, raw, field, words):
    with pytest.raises(DomainError) as refused:
        add(PERSONNEL, raw)
    assert refused.value.field == field and words in refused.value.message


def test_a_matter_keeps_to_the_longest_period_the_law_gives_its_level(demo):
    matter = {"number": "SX-1", "title": "年度重点项目实施方案", "level": "秘密", "period_years": "11",
              "scope": "本单位办公室", "state": "active"}
    with pytest.raises(DomainError) as refused:
        add(MATTERS, matter)
    assert "不超过 10 年" in refused.value.message and "第二十条" in refused.value.message
    assert add(MATTERS, {**matter, "level": "机密"}).period_years == 11


def test_a_carrier_destroyed_has_its_date_and_a_number_is_taken_once_in_a_unit(demo):
    with pytest.raises(DomainError, match="须填销毁日期"):
        add(CARRIERS, carrier(state="已销毁"))
    with pytest.raises(DomainError, match="状态应为已销毁"):
        add(CARRIERS, carrier(destroyed_on="2026-01-05"))
    add(CARRIERS, carrier())
    with pytest.raises(DomainError, match="已在本台账中"):
        add(CARRIERS, carrier(number="zt-001"))
    add(CARRIERS, carrier(), unit="XS-ZRZY", by="officer2")  # another unit's register: its own numbers


def test_text_that_looks_classified_is_kept_only_once_confirmed_and_the_confirmation_is_audited(demo):
    raw = carrier(title="机密★10年 年度计划")
    with pytest.raises(ClassifiedText) as refused:
        add(CARRIERS, raw)
    assert refused.value.field == "title" and refused.value.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(SecretCarrier)) == 0
    entry = add(CARRIERS, raw, confirm_unclassified=True)
    assert actions("registers.unclassified_confirmed")[0].object_id == str(entry.id)


def test_a_stale_form_changes_nothing(demo):
    entry = add(PERSONNEL, person())
    registers.update_entry(db.session, user("officer"), entry, PERSONNEL, person(post="保密办"), revision=1)
    with pytest.raises(Conflict):
        registers.update_entry(db.session, user("officer"), entry, PERSONNEL, person(post="财务科"), revision=1)
    with pytest.raises(Conflict):
        registers.remove_entry(db.session, user("officer"), entry, PERSONNEL, revision=1)
    db.session.refresh(entry)
    assert entry.post == "保密办"


# Spreadsheets --------------------------------------------------------------------------------------------

CARRIER_HEADER = ["编号", "名称", "载体类型", "密级", "来源", "保管人", "收到或制作日期", "保密期限至", "状态"]


def csv_file(rows: list[list[str]], header: list[str] = CARRIER_HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8-sig")


def import_file(filename: str, data: bytes, register=CARRIERS, **kwargs) -> registers.ImportReport:
    rows = spreadsheets.read_table(filename, data, registers.MAX_IMPORT_ROWS)
    return registers.import_entries(db.session, user("officer"), node("DH-ZFB"), register, rows, today=TODAY,
                                    **kwargs)


def carriers_of(unit: str = "DH-ZFB") -> dict[str, SecretCarrier]:
    db.session.expire_all()
    return {c.number: c for c in db.session.scalars(select(SecretCarrier).where(
        SecretCarrier.unit_id == node(unit).id))}


def test_a_good_file_adds_its_rows_and_a_second_changes_only_what_changed(demo):
    first = import_file("载体.csv", csv_file([
        ["ZT-001", "关于年度工作安排的通知", "纸质文件资料", "秘密", "收文", "李华", "2025/5/6", "2035年5月6日",
         "在用"],
        ["ZT-002", "项目资料光盘", "media", "机密", "自制", "王强", "2025-07-01", "", "held"],
    ]))
    assert (first.errors, first.created, first.updated) == ([], 2, 0)
    stored = carriers_of()
    assert (stored["ZT-001"].received_on, stored["ZT-001"].secret_until, stored["ZT-002"].kind) == (
        date(2025, 5, 6), date(2035, 5, 6), "media")
    second = import_file("载体.csv", csv_file([
        ["ZT-001", "关于年度工作安排的通知", "纸质文件资料", "秘密", "收文", "赵敏", "2025-05-06", "2035-05-06",
         "在用"],
        ["ZT-002", "项目资料光盘", "存储介质", "机密", "自制", "王强", "2025-07-01", "", "在用"],
        ["ZT-003", "会议纪要", "纸质文件资料", "秘密", "复制", "王强", "2026-01-01", "", "在用"],
    ], CARRIER_HEADER))
    assert second.errors == ["第 4 行“复制日期”列：复制件须填复制日期。"]  # a column the file lacks, named too
    third = import_file("载体.csv", csv_file([
        ["ZT-001", "关于年度工作安排的通知", "纸质文件资料", "秘密", "收文", "赵敏", "2025-05-06", "2035-05-06",
         "在用"],
        ["ZT-002", "项目资料光盘", "存储介质", "机密", "自制", "王强", "2025-07-01", "", "在用"],
    ]))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    stored = carriers_of()
    assert (stored["ZT-001"].holder, stored["ZT-001"].revision, stored["ZT-002"].revision) == ("赵敏", 2, 1)
    records = actions("registers.import")
    assert len(records) == 2 and '"created":2' in records[0].details and '"updated":1' in records[1].details


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_written(demo):
    report = import_file("载体.csv", csv_file([
        ["ZT-001", "通知", "纸质文件资料", "秘密", "收文", "李华", "2025-05-06", "", "在用"],
        ["ZT-002", "", "纸质文件资料", "特密", "收文", "李华", "昨天", "", "在用"],
        ["ZT-001", "通知二", "纸质文件资料", "秘密", "收文", "李华", "2025-05-06", "", "已销毁"],
        ["ZT-004", "通知三", "纸质文件资料", "秘密", "收文", "李华", "2027-01-01", "", "在用"],
    ]))
    assert report.errors == [
        "第 3 行“名称”列：必填。",
        "第 3 行“密级”列：应为：绝密、机密、秘密。",
        "第 3 行“收到或制作日期”列：日期应写作 2026-03-01。",
        "第 4 行“销毁日期”列：已销毁的载体须填销毁日期。",
        "第 4 行“编号”列：编号与第 2 行重复。",
        "第 5 行“收到或制作日期”列：不能晚于今天。",
    ]
    assert carriers_of() == {} and actions("registers.import") == []


def test_a_file_without_a_required_column_or_rows_is_refused_in_words(demo):
    assert import_file("a.csv", csv_file([["ZT-1", "通知"]], ["编号", "名称"])).errors == [
        "第 1 行缺少列：载体类型、密级、来源、保管人、状态。"]
    assert import_file("a.csv", csv_file([])).errors == ["文件只有表头，没有数据行。"]
    assert import_file("a.csv", b"").errors == ["文件是空的。"]
    with pytest.raises(DomainError, match=r"\.xlsx 或 \.csv"):
        import_file("a.txt", b"x")


def test_a_cell_that_looks_classified_stops_the_file_until_the_importer_confirms(demo):
    rows = [["ZT-001", "绝密★ 某项目", "纸质文件资料", "秘密", "收文", "李华", "2025-05-06", "", "在用"]]
    refused = import_file("载体.csv", csv_file(rows))
    assert refused.errors == ["第 2 行“名称”列：疑似密级标志（绝密★），本系统严禁录入国家秘密。"]
    assert carriers_of() == {}
    confirmed = import_file("载体.csv", csv_file(rows), confirm_unclassified=True)
    assert confirmed.created == 1 and "unclassified_confirmed" in actions("registers.import")[0].details


def test_a_column_the_file_leaves_out_leaves_that_field_as_it_was(demo):
    add(CARRIERS, carrier(secret_until="2030-01-01", reviewed_on="2026-01-02"))
    report = import_file("载体.csv", csv_file([["ZT-001", "关于年度工作安排的通知", "纸质文件资料", "秘密", "收文",
                                                 "赵敏", "在用"]],
                                               ["编号", "名称", "载体类型", "密级", "来源", "保管人", "状态"]))
    assert report.updated == 1
    stored = carriers_of()["ZT-001"]
    assert (stored.holder, stored.secret_until, stored.reviewed_on) == ("赵敏", date(2030, 1, 1), date(2026, 1, 2))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_reads_back_as_an_import_that_changes_nothing(demo, fmt):
    for register, raw in ((CARRIERS, carrier(secret_until="2030-01-01")),
                          (CARRIERS, carrier("ZT-002", state="已销毁", destroyed_on="2026-02-01")),
                          (PERSONNEL, person(exit_approvals="2025-05-10 赴港 审批表")),
                          (DEVICES, {"number": "ZC-01", "kind": "涉密台式计算机", "level": "机密",
                                     "location": "301室", "responsible": "李华", "dedicated": "是",
                                     "red_black_power": "是", "video_jammer": "", "state": "在用"})):
        add(register, raw)
    for register in (CARRIERS, PERSONNEL, DEVICES):
        data, filename = registers.export(db.session, user("officer"), node("DH-ZFB"), register, fmt)
        data = data if fmt == "xlsx" else "".join(data).encode("utf-8")
        assert filename.endswith(f".{fmt}")
        if fmt == "xlsx":
            assert load_workbook(io.BytesIO(data)).worksheets[0]["A1"].value in ("编号", "资产编号")
        report = import_file(filename, data, register)
        assert (report.errors, report.created, report.updated) == ([], 0, 0), register.key
        assert report.unchanged == {"carriers": 2, "personnel": 1, "devices": 1}[register.key]
    assert len(actions("registers.export")) == 3


def test_five_thousand_rows_import_in_one_go(demo):
    book = Workbook()
    sheet = book.active
    sheet.append(CARRIER_HEADER)
    for n in range(5000):
        sheet.append([f"ZT-{n:05d}", f"文件{n}", "纸质文件资料", "秘密", "收文", "李华", date(2025, 1, 1), None,
                      "在用"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_file("载体.xlsx", buffer.getvalue())
    assert (report.errors, report.created) == ([], 5000)
    assert len(carriers_of()) == 5000


# Rules, at their boundary dates ---------------------------------------------------------------------------


def broken(rule: str, today: date = TODAY) -> set[str]:
    found = registers.RULES[rule]
    return {e.number for e in db.session.scalars(registers.rules.breaking(found, [node("DH-ZFB").id], today))}


def test_a_declearing_period_that_ended_without_release_recorded(demo):
    add(PERSONNEL, person("RY-1", left_on="2025-06-14", declear_until="2026-06-14"))  # ended yesterday
    add(PERSONNEL, person("RY-2", left_on="2025-06-15", declear_until="2026-06-15"))  # its last day is today
    add(PERSONNEL, person("RY-3", left_on="2025-06-14", declear_until="2026-06-14", released_on="2026-06-15"))
    add(PERSONNEL, person("RY-4"))  # on post
    assert broken("declear_ended") == {"RY-1"}
    assert broken("declear_ended", TODAY + timedelta(days=1)) == {"RY-1", "RY-2"}


def test_a_person_on_post_without_training_this_year(demo):
    add(PERSONNEL, person("RY-1", trained_on="2025-12-31"))  # last year's last day
    add(PERSONNEL, person("RY-2", trained_on="2026-01-01"))  # this year's first
    add(PERSONNEL, person("RY-3", trained_on=""))
    add(PERSONNEL, person("RY-4", trained_on="2025-03-01", left_on="2026-01-10", declear_until="2027-01-10"))
    assert broken("untrained") == {"RY-1", "RY-3"}
    assert broken("untrained", date(2027, 1, 1)) == {"RY-1", "RY-2", "RY-3"}


def test_a_carrier_past_its_period_and_not_reviewed(demo):
    add(CARRIERS, carrier("ZT-1", secret_until="2026-06-14"))
    add(CARRIERS, carrier("ZT-2", secret_until="2026-06-15"))  # its last day is today
    add(CARRIERS, carrier("ZT-3", secret_until="2026-06-14", reviewed_on="2026-06-14"))  # reviewed on the day
    add(CARRIERS, carrier("ZT-4", secret_until="2026-06-14", reviewed_on="2026-06-13"))  # a review before it
    add(CARRIERS, carrier("ZT-5", secret_until="2026-06-14", state="已销毁", destroyed_on="2026-06-01"))
    assert broken("carrier_unreviewed") == {"ZT-1", "ZT-4"}


def test_a_matter_without_basis_or_past_its_review_date(demo):
    base = {"title": "年度重点项目实施方案", "level": "秘密", "scope": "本单位办公室", "state": "保密期限内"}
    add(MATTERS, {**base, "number": "SX-1", "basis": "某某工作国家秘密事项范围 第3条", "review_on": "2026-06-14"})
    add(MATTERS, {**base, "number": "SX-2", "basis": "   ", "review_on": "2026-06-15"})
    add(MATTERS, {**base, "number": "SX-3", "basis": "", "state": "已解密", "review_on": "2026-01-01"})
    assert broken("matter_without_basis") == {"SX-2"}
    assert broken("matter_review_due") == {"SX-1"}
    assert broken("matter_review_due", TODAY + timedelta(days=1)) == {"SX-1", "SX-2"}


def test_a_key_place_without_its_confirmation_date(demo):
    places = registers.REGISTERS["key_places"]
    add(places, {"number": "YH-1", "name": "机要室", "kind": "要害部位", "confirmed_on": "2024-05-01"})
    add(places, {"number": "YH-2", "name": "档案室", "kind": "要害部位"})
    assert broken("place_unconfirmed") == {"YH-2"}


def test_every_rule_names_an_item_of_the_library_that_exists(session):
    from inspect_app.services import checklists

    current = {v.key: {i.key for s in v.sections for i in s.items} for v in checklists.current_versions(session)}
    for rule in registers.RULES.values():
        assert rule.item_key in current[rule.template_key], rule.key


# What the leaders see, and the officers hear ---------------------------------------------------------------


def test_sizes_and_violations_per_unit_and_district_and_the_officers_are_told(demo):
    add(PERSONNEL, person("RY-1", trained_on="2025-01-01"))
    add(PERSONNEL, person("RY-2"))
    add(CARRIERS, carrier("ZT-1", secret_until="2020-01-01"))
    add(CARRIERS, carrier("ZT-1"), unit="XS-ZRZY", by="officer2")
    today = date.today()
    rows = {r.unit.code: r for r in registers.unit_rows(db.session, [node("DH-ZFB"), node("XS-ZRZY"),
                                                                     node("DH-FY")], today)}
    assert (rows["DH-ZFB"].sizes, rows["DH-ZFB"].violations) == (
        {"personnel": 2, "carriers": 1}, {"untrained": 1, "carrier_unreviewed": 1})
    assert (rows["XS-ZRZY"].total, rows["XS-ZRZY"].broken, rows["DH-FY"].total) == (1, 0, 0)
    districts = {d.district.code: d for d in registers.district_rows(db.session, user("leader"), today)}
    assert (districts["BC-DH"].units, districts["BC-DH"].keeping, districts["BC-DH"].rows,
            districts["BC-DH"].violations, districts["BC-DH"].units_with_violations) == (4, 1, 3, 2, 1)
    assert (districts["BC-XS"].rows, districts["BC-XS"].violations) == (1, 0)
    assert set(d.district.code for d in registers.district_rows(db.session, user("inspector2"), today)) == {"BC-DH"}
    assert registers.remind(db.session, today) == 1
    told = db.session.scalars(select(Notification).where(Notification.kind == "register_warnings")).all()
    assert [(n.user_id, n.params["count"]) for n in told] == [(user("officer").id, 2)]


def test_the_district_figures_are_the_units_rows_summed_leaving_out_inactive_units(demo):
    analytics.rebuild_all(db.session)  # the standings, kept from here on by every write
    add(PERSONNEL, person("RY-1", trained_on="2025-01-01"))
    add(CARRIERS, carrier("ZT-1", secret_until="2020-01-01"))
    add(CARRIERS, carrier("ZT-2"), unit="XS-ZRZY", by="officer2")
    registers.create_entry(db.session, None, node("DH-FY"), PERSONNEL, person("RY-9"), today=TODAY)
    node("DH-FY").active = False  # a unit closed down: its registers no longer count
    db.session.commit()
    today = date.today()
    units = db.session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.UNIT,
                                                     OrgNode.active.is_(True))).all()
    expected = {}
    for row in registers.unit_rows(db.session, units, today):
        figures = expected.setdefault(row.unit.parent.code, [0, 0, 0, 0, 0])
        for at, value in enumerate((1, row.total > 0, row.total, row.broken, row.broken > 0)):
            figures[at] += value
    rows = registers.district_rows(db.session, user("leader"), today)
    assert {d.district.code: [d.units, d.keeping, d.rows, d.violations, d.units_with_violations]
            for d in rows} == expected
    assert [d.district.path for d in rows] == sorted(d.district.path for d in rows)
    assert expected["BC-DH"][2:] == [2, 2, 1]  # RY-9 of the closed unit is not among them
    one = registers.district_rows(db.session, user("leader"), today, district_id=node("BC-XS").id)
    assert [(d.district.code, d.rows) for d in one] == [("BC-XS", 1)]
    # The dashboard's district table takes the active units under each district from its standings: the same rows.
    for username, district_id in (("leader", None), ("leader", node("BC-XS").id), ("inspector2", None)):
        actor = user(username)
        ctx = dashboard.Context(db.session, actor, dashboard.Filters.for_preset("12m", district_id=district_id))
        kept = dashboard.active_units(ctx, dashboard.district_choices(db.session, actor))
        assert kept is not None and kept[node("BC-DH")] == expected["BC-DH"][0]
        assert registers.district_rows(db.session, actor, today, district_id, active_units=kept) == (
            registers.district_rows(db.session, actor, today, district_id))


def test_registers_remind_tells_each_unit_once_a_day(app, demo):
    add(PERSONNEL, person("RY-1", trained_on="2025-01-01"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["registers", "remind", "--date", "2026-06-15"])
    assert first.exit_code == 0 and "told the officers of 1 units" in first.output
    assert "told the officers of 0 units" in runner.invoke(args=["registers", "remind", "--date", "2026-06-15"]).output
    told = db.session.scalars(select(Notification).where(Notification.kind == "register_warnings")).all()
    assert [n.user_id for n in told] == [user("officer").id] and actions("registers.remind")
