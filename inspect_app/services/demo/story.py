"""The demo: a small city with two district bureaus, a dozen units and one account per role.

Only for demo mode (INSPECT_DEMO=1). Every demo account's password is Demo@2026.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import (
    Attachment,
    ExtensionRequest,
    Inspection,
    NodeKind,
    OrgNode,
    Role,
    TemplateVersion,
    Ticket,
    TicketEventKind,
    UnitType,
    User,
)
from .. import appraisals, audit, checklists, inspections, org, rectification, registers, scans, tokens
from ..accounts import passwords
from .incidents import seed_incidents

DEMO_PASSWORD = "Demo@2026"
CITY_CODE = "BC-BMJ"

# (code, name, unit type, key unit) under each bureau, by the bureau's code.
DISTRICTS = [
    ("BC-DH", "东湖区国家保密局"),
    ("BC-XS", "西山县国家保密局"),
]
UNITS = {
    CITY_CODE: [
        ("BC-FGW", "宝川市发展和改革委员会", UnitType.PARTY_GOV, True),
        ("BC-CZJ", "宝川市财政局", UnitType.PARTY_GOV, True),
        ("BC-GAJ", "宝川市公安局", UnitType.PARTY_GOV, True),
        ("BC-TJJ", "宝川市统计局", UnitType.PARTY_GOV, False),
    ],
    "BC-DH": [
        ("DH-ZFB", "东湖区人民政府办公室", UnitType.PARTY_GOV, True),
        ("DH-JYJ", "东湖区教育局", UnitType.PARTY_GOV, False),
        ("DH-FY", "东湖区人民法院", UnitType.JUDICIAL, True),
        ("DH-DL", "宝川电力集团东湖供电公司", UnitType.STATE_ENTERPRISE, False),
    ],
    "BC-XS": [
        ("XS-ZFB", "西山县人民政府办公室", UnitType.PARTY_GOV, True),
        ("XS-ZRZY", "西山县自然资源局", UnitType.PARTY_GOV, False),
        ("XS-YY", "西山县人民医院", UnitType.INSTITUTION, False),
        ("XS-DAG", "西山县档案馆", UnitType.INSTITUTION, True),
    ],
}
# username, display name, role, org code
ACCOUNTS = [
    ("admin", "系统管理员", Role.ADMIN, CITY_CODE),
    ("secadmin", "安全保密管理员", Role.SECADMIN, CITY_CODE),
    ("auditor", "安全审计员", Role.AUDITOR, CITY_CODE),
    ("inspector", "王建国", Role.INSPECTOR, CITY_CODE),
    ("inspector2", "李文静", Role.INSPECTOR, "BC-DH"),
    ("officer", "赵丽华", Role.OFFICER, "DH-ZFB"),
    ("officer2", "孙志强", Role.OFFICER, "XS-ZRZY"),
    ("leader", "陈德明", Role.LEADER, CITY_CODE),
]


def login_accounts(session: Session) -> list[tuple[str, Role, str]]:
    """The demo accounts that exist, as the login page lists them: username, role, the org node's name."""
    names = dict(session.execute(select(OrgNode.code, OrgNode.name)).all())
    existing = set(session.scalars(select(User.username).where(User.username.in_([a[0] for a in ACCOUNTS]))))
    return [(username, role, names.get(code, "")) for username, _name, role, code in ACCOUNTS if username in existing]


def seed(session: Session) -> bool:
    """Create the demo org tree, accounts and inspections; False (and nothing changed) when they exist."""
    if session.scalar(select(OrgNode).where(OrgNode.code == CITY_CODE)) is not None:
        return False
    with transaction(session):  # all or nothing
        seed_org(session)
        seed_inspections(session)
    return True


def seed_org(session: Session) -> None:
    with transaction(session):
        city = org.create_node(session, None, kind=NodeKind.BUREAU, name="宝川市国家保密局", code=CITY_CODE,
                               parent=None)
        nodes = {CITY_CODE: city}
        for code, name in DISTRICTS:
            nodes[code] = org.create_node(session, None, kind=NodeKind.DISTRICT, name=name, code=code, parent=city)
        for parent_code, units in UNITS.items():
            for code, name, unit_type, key in units:
                nodes[code] = org.create_node(session, None, kind=NodeKind.UNIT, name=name, code=code,
                                              parent=nodes[parent_code], unit_type=unit_type, is_key_unit=key)
        password_hash = passwords.hash_password(DEMO_PASSWORD)
        for username, display_name, role, code in ACCOUNTS:
            user = User(username=username, display_name=display_name, role=role, org_node=nodes[code],
                        password_hash=password_hash)
            session.add(user)
            session.flush()
            audit.record(session, None, "user.create", user, actor_name="seed-demo",
                         details={"username": username, "role": role, "org_node_id": user.org_node_id})


# Inspections in every state ---------------------------------------------------------------------


def _photo(colour: str) -> bytes:
    """A stand-in for a site photo: the demo must not ship real pictures of anything."""
    image = Image.new("RGB", (1200, 900), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle([150, 200, 1050, 700], outline="white", width=12)
    draw.line([150, 700, 1050, 200], fill="white", width=8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _signature() -> bytes:
    image = Image.new("RGB", (600, 220), "white")
    ImageDraw.Draw(image).line([(40, 160), (160, 60), (260, 150), (380, 70), (540, 140)], fill="black", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _answer_all(session: Session, inspection: Inspection, actor: User, failing: dict[str, str],
                leave_open: int = 0, texts: dict[str, str] | None = None) -> None:
    items = inspections.load_items(session, inspection)
    for item in items[: len(items) - leave_open]:
        value = failing.get(item.key)
        if value is None:
            value = {"compliance": "compliant", "number": "0" if item.deduction else "2",
                     "choice": item.choices[0]["key"] if item.choices else None,
                     "text": "现场查看，未见异常。"}[item.response]
        finding = ({**FINDING_TEXTS, **(texts or {})}.get(item.key, "现场检查发现该项要求未落实到位。")
                   if item.key in failing else None)
        inspections.save_answer(session, actor, inspection, inspections.AnswerInput(
            item_id=item.id, client_uuid=str(uuid.uuid4()), base_revision=0, value=value, finding_text=finding))
        if item.key in failing and item.key in PHOTO_ITEMS:
            inspections.add_photo(session, actor, inspection, item.id, _photo(PHOTO_ITEMS[item.key]),
                                  filename=f"{item.key}.jpg", client_uuid=str(uuid.uuid4()))


FINDING_TEXTS = {
    "F3": "机要室一枚涉密U盘曾插入办公室上网计算机，USB记录可查，共2次。",
    "F7": "3台涉密计算机未粘贴密级标识，台账中责任人信息缺失。",
    "F13": "单位门户网站近一个月发布的4篇信息未见保密审查记录。",
    "G4": "要害部位出入登记本有5天未登记外来人员。",
    "G5": "要害部门办公区发现2部普通手机未存入手机柜。",
    "E2": "2026年第三季度收文登记有3份文件签收栏空白。",
    "E6": "1份秘密级文件存放在普通文件柜中。",
    "B1": "年度保密教育培训计划未经领导审定。",
}
PHOTO_ITEMS = {"F7": "#5b6f8a", "G5": "#8a6f5b", "E6": "#5b8a6f"}
# What the unit did about each finding, in its response.
MEASURES = {
    "F3": "涉事U盘已收回并重新登记，上网计算机经保密技术检查未见残留；机要室人员已学习存储介质管理规定。",
    "F7": "3台涉密计算机已粘贴密级标识，台账已补齐责任人信息并经保密办复核。",
    "G5": "要害部门入口增设手机存放柜，实行入柜登记，保密办每日抽查。",
    "F13": "门户网站已建立发布前保密审查制度，补审4篇信息。",
    "E2": "已补登收文记录。",
}


def _submit(session: Session, inspection: Inspection, actor: User, unit_signer: str, when: datetime) -> None:
    inspections.submit_inspection(session, actor, inspection, [
        inspections.SignatureInput("lead", actor.display_name, _signature()),
        inspections.SignatureInput("unit", unit_signer, _signature()),
    ])
    with transaction(session):
        # Demo history: the visit took place on its planned date.
        inspection.started_at = when - timedelta(hours=3)
        inspection.submitted_at = when
        session.flush()


def _tickets(session: Session, notice) -> dict[str, Ticket]:
    """The notice's tickets by the item key of their finding, so each answer lands on its own finding."""
    tickets = session.scalars(select(Ticket).where(Ticket.notice_id == notice.id).order_by(Ticket.id))
    return {ticket.finding.item_key: ticket for ticket in tickets}


def _moment(day: date) -> datetime:
    """A stored (UTC) time in the bureau's working day of `day`."""
    return datetime.combine(day, time(2))


def _dated(session: Session, ticket: Ticket, kind: str, day: date) -> None:
    """Demo history: the ticket's latest `kind` event (and what it stamped on the ticket) happened on `day`."""
    with transaction(session):
        moment = _moment(day)
        event = max((e for e in ticket.events if e.kind == kind), key=lambda e: e.id)
        event.at = moment
        for attachment in session.scalars(select(Attachment).where(Attachment.ticket_event_id == event.id)):
            attachment.uploaded_at = moment
        if kind == TicketEventKind.ISSUED:
            ticket.created_at = moment
        elif kind == TicketEventKind.RESPONDED:
            ticket.responded_at = moment
        elif kind == TicketEventKind.ACCEPTED:
            ticket.accepted_at = moment
        elif kind == TicketEventKind.EXTENSION_REQUESTED and event.extension_id:
            session.get(ExtensionRequest, event.extension_id).requested_at = moment
        session.flush()


def _issue(session: Session, actor: User, inspection: Inspection, day: date) -> dict[str, Ticket]:
    """Issue the notice as on `day`: the notice, the inspection and every ticket carry that date."""
    notice = rectification.issue_notice(session, actor, inspection, today=day)
    tickets = _tickets(session, notice)
    with transaction(session):
        notice.issued_at = inspection.issued_at = _moment(day)
        session.flush()
    for ticket in tickets.values():
        _dated(session, ticket, TicketEventKind.ISSUED, day)
    return tickets


def _put_right(session: Session, inspection: Inspection, tickets: dict[str, Ticket], officer: User,
               verifier: User, issued_on: date) -> None:
    """Each finding put right in good time and verified a few days later; the inspection closes on the last."""
    last = issued_on
    for key, ticket in tickets.items():
        allowed = (ticket.due_date - issued_on).days
        done = issued_on + timedelta(days=max(2, min(allowed - 5, 18)))
        rectification.respond(session, officer, ticket, measures=MEASURES[key], responsible=officer.display_name,
                              completed_on=done, uploads=[rectification.Upload(_photo("#6f8a5b"), "整改后.jpg")])
        _dated(session, ticket, TicketEventKind.RESPONDED, done)
        accepted = done + timedelta(days=2)
        rectification.accept(session, verifier, ticket, note="复查确认已整改到位。")
        _dated(session, ticket, TicketEventKind.ACCEPTED, accepted)
        last = max(last, accepted)
    with transaction(session):
        inspection.closed_at = _moment(last)
        session.flush()


@dataclass
class _Story:
    """What every chapter of the demo's story works with: the accounts, the units, the current checklists and
    today, the day the demo is seeded on."""

    session: Session
    users: dict[str, User]
    units: dict[str, OrgNode]
    current: dict[str, TemplateVersion]
    today: date

    def plan(self, unit: str, templates: list[str], day: date, lead: User, members=(), kind="routine",
             **kwargs) -> Inspection:
        """An inspection of `unit` on `day`; a self-inspection (kind "self") is planned by the unit's officer."""
        own = kind == "self"
        return inspections.plan_inspection(self.session, lead if not own else self.users["officer"],
                                           unit=self.units[unit], kind=kind,
                                           versions=[self.current[k] for k in templates], scheduled_on=day,
                                           lead=lead if not own else None, members=list(members), **kwargs)

    def inspect(self, inspection: Inspection, actor: User, failing: dict[str, str], unit_signer: str,
                texts: dict[str, str] | None = None) -> None:
        """Every item answered, `failing` as given, and submitted at the visit's end on its planned day."""
        _answer_all(self.session, inspection, actor, failing, texts=texts)
        _submit(self.session, inspection, actor, unit_signer, datetime.combine(inspection.scheduled_on, time(7)))


def seed_inspections(session: Session) -> None:
    current = {v.template.key: v for v in checklists.current_versions(session)}
    if not current:
        return  # no library synced: nothing to inspect with
    story = _Story(session, {u.username: u for u in session.scalars(select(User))},
                   {n.code: n for n in session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.UNIT))},
                   current, clock.local_today())
    _registers(story)  # kept before today's visit, which samples them and matches the kit's devices to them
    ongoing = _a_repeat_in_the_making(story)
    _the_district_kit_scans(story, ongoing)
    _put_right_last_year(story)
    _overdue(story)
    _tickets_in_every_state(story)
    _waiting_for_the_notice(story)
    _the_units_own_self_inspection(story)
    _planned_and_cancelled(story)
    seed_incidents(session, story.users, story.units, story.today)
    _the_years_appraisal(story)


def _a_repeat_in_the_making(story: _Story) -> Inspection:
    """东湖区人民政府办公室: ten months ago its failures were found and put right; today's visit, under way,
    finds one of them (F7) again."""
    session, today = story.session, story.today
    inspector, inspector2 = story.users["inspector"], story.users["inspector2"]
    earlier = story.plan("DH-ZFB", ["network", "key-departments"], today - timedelta(days=300), inspector,
                         [inspector2])
    story.inspect(earlier, inspector, {"F3": "noncompliant", "F7": "partial", "G5": "noncompliant"}, "赵丽华")

    # This year's visit, under way: half the items answered.
    ongoing = story.plan("DH-ZFB", ["network", "key-departments", "carriers"], today, inspector, [inspector2],
                         scope="重点检查网络终端管理和要害部门出入控制")
    _answer_all(session, ongoing, inspector, {"F7": "noncompliant", "G4": "partial"}, leave_open=20)

    # Those findings were put right in time and verified: that inspection is closed.
    issued_on = earlier.scheduled_on + timedelta(days=2)
    _put_right(session, earlier, _issue(session, inspector, earlier, issued_on), story.users["officer"], inspector,
               issued_on)
    return ongoing


# The district bureau's technical inspection kit: the office's computers, as its scan reported them.
KIT_SCAN = [
    ("PC-JYS-01", "ZC-JSJ-01", "机要室涉密计算机", [
        ("internet_connection", "pass", None),
        ("usb_storage", "fail", "U盘（序列号 7A3F09C2）在本机和上网计算机 PC-BGS-05 上均有接入记录，最近一次在上周四"),
        ("security_software", "pass", None)]),
    ("PC-ZHK-02", "ZC-JSJ-03", "综合科涉密计算机", [
        ("internet_connection", "pass", None),
        ("wireless_device", "fail", "检测到已启用的蓝牙适配器（USB 接入，型号 BT-500）")]),
    ("PC-BGS-05", None, "办公室上网计算机", [
        ("classified_content", "pass", None)]),
]


def _the_district_kit_scans(story: _Story, ongoing: Inspection) -> None:
    """东湖区国家保密局's technical inspection kit, with a token the secadmin issued to it, pushed its scan of the
    office's computers into today's visit: a Bluetooth adapter, which the lead confirmed (F8), and a USB stick
    seen on both sides, which contradicts the F3 answered before the scan and waits for the team."""
    session, now = story.session, datetime.now(clock.timezone())
    token, _secret = tokens.issue_token(session, story.users["secadmin"], name="dh-tech-kit",
                                        scope=ongoing.unit.parent, permissions=["scans.import", "inspections.read"],
                                        expires_on=story.today + timedelta(days=365))
    scan = scans.ScanFile.model_validate({
        "format": "inspect-scan", "version": 1, "scan_id": f"DH-KIT-{story.today:%Y%m%d}-01",
        "tool": {"name": "计算机终端保密检查系统", "version": "5.2"}, "unit_code": ongoing.unit.code,
        "devices": [{"device_id": device, "asset_number": asset, "name": name,
                     "results": [{"check": check, "result": result, "detail": detail, "scanned_at": now.isoformat()}
                                 for check, result, detail in results]}
                    for device, asset, name, results in KIT_SCAN]})
    record, _created = scans.import_scan(session, token.account, ongoing, scan, source="api")
    wireless = next(p for p in scans.scan_view(session, record).proposals if p.item.key == "F8")
    scans.confirm(session, story.users["inspector"], wireless)


def _put_right_last_year(story: _Story) -> None:
    """Last year 西山县自然资源局 (officer2's unit) had left computers unmarked (F7); it was put right then."""
    session, inspector = story.session, story.users["inspector"]
    before = story.plan("XS-ZRZY", ["network"], story.today - timedelta(days=400), inspector)
    story.inspect(before, inspector, {"F7": "partial"}, "孙志强")
    issued_on = before.scheduled_on + timedelta(days=3)
    _put_right(session, before, _issue(session, inspector, before, issued_on), story.users["officer2"], inspector,
               issued_on)


def _overdue(story: _Story) -> None:
    """Inspected eleven weeks ago and never answered: the deadline passed two weeks ago."""
    inspector = story.users["inspector"]
    overdue = story.plan("BC-GAJ", ["key-departments"], story.today - timedelta(days=80), inspector)
    story.inspect(overdue, inspector, {"G4": "noncompliant"}, "公安局保密办")
    _issue(story.session, inspector, overdue, story.today - timedelta(days=75))


def _tickets_in_every_state(story: _Story) -> None:
    """Issued a week ago to 西山县自然资源局: tickets in every state of the loop, and F7 found again (a repeat)."""
    session, today, inspector, officer2 = story.session, story.today, story.users["inspector"], story.users["officer2"]
    issued = story.plan("XS-ZRZY", ["network", "carriers"], today - timedelta(days=10), inspector,
                        kind="special", title="西山县自然资源局2026年网络与载体专项检查")
    story.inspect(issued, inspector, {"F13": "noncompliant", "E2": "partial", "E6": "noncompliant", "F7": "partial"},
                  "孙志强", texts={"F7": "2台新配发的涉密计算机未粘贴密级标识，与上次检查发现的问题相同。"})
    tickets = _issue(session, inspector, issued, today - timedelta(days=7))
    evidence = [rectification.Upload(_photo("#5b7a8a"), "整改照片.jpg")]
    responded, returned, extended = tickets["F13"], tickets["E2"], tickets["E6"]
    rectification.respond(session, officer2, responded, measures=MEASURES["F13"], responsible="孙志强",
                          completed_on=today - timedelta(days=2), uploads=evidence)
    _dated(session, responded, TicketEventKind.RESPONDED, today - timedelta(days=2))
    rectification.respond(session, officer2, returned, measures=MEASURES["E2"], responsible="孙志强",
                          completed_on=today - timedelta(days=3), uploads=evidence)
    _dated(session, returned, TicketEventKind.RESPONDED, today - timedelta(days=3))
    rectification.return_ticket(session, inspector, returned, reason="补登记录未经收文人签字确认，请补充签字页照片。")
    _dated(session, returned, TicketEventKind.RETURNED, today - timedelta(days=1))
    # E6 (a secret document kept in an ordinary cabinet): the unit waits for a secrecy cabinet.
    rectification.request_extension(session, officer2, extended, until=extended.due_date + timedelta(days=30),
                                    reason="需采购保密柜，预计下月到货；到货前该文件已交机要室保密柜代存。")
    _dated(session, extended, TicketEventKind.EXTENSION_REQUESTED, today - timedelta(days=1))
    # F7, the repeat, is left open: the unit has not answered yet.


def _waiting_for_the_notice(story: _Story) -> None:
    """Submitted three days ago, waiting for the notice."""
    inspector2 = story.users["inspector2"]
    waiting = story.plan("DH-FY", ["network"], story.today - timedelta(days=3), inspector2)
    story.inspect(waiting, inspector2, {"F3": "noncompliant"}, "法院保密办")


def _the_units_own_self_inspection(story: _Story) -> None:
    """东湖区人民政府办公室's self-inspection: its findings became the unit's own tickets that day, with
    deadlines counted from it."""
    session, officer = story.session, story.users["officer"]
    own = story.plan("DH-ZFB", ["self-assessment"], story.today - timedelta(days=40), officer, kind="self")
    story.inspect(own, officer, {"Z12": "partial"}, "单位保密委员会主任")
    with transaction(session):
        own.issued_at = _moment(own.scheduled_on)
        for ticket in session.scalars(select(Ticket).where(Ticket.inspection_id == own.id)):
            ticket.due_date = ticket.original_due_date = rectification.due_date_for(ticket.finding.severity,
                                                                                    own.scheduled_on)
            for event in ticket.events:
                event.new_due_date = ticket.due_date
        session.flush()
    for ticket in session.scalars(select(Ticket).where(Ticket.inspection_id == own.id)):
        _dated(session, ticket, TicketEventKind.ISSUED, own.scheduled_on)


def _planned_and_cancelled(story: _Story) -> None:
    """Three visits planned ahead, and one cancelled."""
    today, inspector, inspector2 = story.today, story.users["inspector"], story.users["inspector2"]
    story.plan("DH-JYJ", ["education", "personnel"], today + timedelta(days=14), inspector2)
    story.plan("XS-YY", ["network"], today + timedelta(days=21), inspector, kind="spot")
    story.plan("BC-CZJ", ["classification", "carriers"], today + timedelta(days=30), inspector)
    dropped = story.plan("BC-FGW", ["meetings"], today - timedelta(days=5), inspector)
    inspections.cancel_inspection(story.session, inspector, dropped, "会议改期，检查随之顺延。")


# Registers -----------------------------------------------------------------------------------------------
# What each unit's officer keeps: (register, fields), with days counted back from the day the demo is seeded
# on. A few entries break the rules, as a real register does: they are the warnings the officers see and the
# pre-findings the inspectors get.


def _registers(story: _Story) -> None:
    """The registers of the units the story visits, and of two more; 东湖区人民政府办公室's (today's visit
    samples them) has one entry breaking each rule that runs on its registers."""
    today = story.today
    for code, entries in _register_entries(today).items():
        actor = story.users["officer"] if code == "DH-ZFB" else story.users["officer2"] if code == "XS-ZRZY" else None
        for key, raw in entries:
            registers.create_entry(story.session, actor, story.units[code], registers.REGISTERS[key], raw,
                                   today=today)


def _register_entries(today: date) -> dict[str, list[tuple[str, dict]]]:
    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    def this_year(days: int) -> str:
        """`days` ago, but not before the first of January: a training this year."""
        return max(today - timedelta(days=days), date(today.year, 1, 1)).isoformat()

    def person(number, name, post, level, *, trained=None, **dates):
        return ("personnel", {"number": number, "name": name, "post": post, "person_class": level,
                              "vetted_on": ago(900), "pledged_on": ago(898),
                              "trained_on": trained or this_year(40), **dates})

    def carrier(number, title, level, holder, *, kind="paper", source="received", days=200, **more):
        return ("carriers", {"number": number, "title": title, "kind": kind, "level": level, "source": source,
                             "holder": holder, "received_on": ago(days), "state": "held", **more})

    def device(number, kind, level, location, responsible, **more):
        return ("devices", {"number": number, "kind": kind, "level": level, "location": location,
                            "responsible": responsible, "dedicated": "yes", "state": "in_use", **more})

    def matter(number, title, level, years, scope, basis, **more):
        return ("matters", {"number": number, "title": title, "level": level, "period_years": str(years),
                            "scope": scope, "basis": basis, "classifier": "刘建华", "determined_on": ago(300),
                            "review_on": (today + timedelta(days=65)).isoformat(), "state": "active", **more})

    def place(number, name, kind, **more):
        return ("key_places", {"number": number, "name": name, "kind": kind, "confirmed_on": ago(700),
                               "confirmed_by": "宝保发〔2024〕12号", **more})

    def classifier(number, name, post, authority, appointed_by):
        return ("classifiers", {"number": number, "name": name, "post": post, "authority": authority,
                                "appointed_by": appointed_by, "appointed_on": ago(800)})

    scope_range = "东湖区政务工作国家秘密事项范围"
    return {
        "DH-ZFB": [
            person("RY-001", "赵丽华", "保密办 保密员", "important"),
            person("RY-002", "刘建华", "办公室 主任", "core"),
            person("RY-003", "陈晓东", "机要室 机要员", "core", trained=this_year(10)),
            person("RY-004", "孙敏", "综合科 科员", "general",
                   trained=date(today.year - 1, 11, 20).isoformat()),  # no training this year
            person("RY-005", "周宁", "机要室 原机要员", "important", trained=ago(480), left_on=ago(420),
                   declear_until=ago(55)),  # the decleared period ended, and no release is recorded
            person("RY-006", "吴刚", "综合科 原科员", "general", trained=ago(850), left_on=ago(800),
                   declear_until=ago(435), released_on=ago(430)),
            carrier("ZT-2025-001", "关于做好年度防汛工作的通知", "secret", "陈晓东", days=420),
            carrier("ZT-2025-002", "区政府常务会议纪要（第12期）", "confidential", "陈晓东", days=380,
                    secret_until=ago(20)),  # its period ended three weeks ago and nobody reviewed it
            carrier("ZT-2025-003", "年度重点项目调度资料", "confidential", "赵丽华", source="made", days=300),
            carrier("ZT-2025-004", "涉密移动硬盘（500GB）", "secret", "陈晓东", kind="media", source="made",
                    days=260),
            carrier("ZT-2025-005", "涉密U盘（16GB）", "confidential", "赵丽华", kind="media", source="made",
                    days=240),
            carrier("ZT-2026-001", "区政府常务会议纪要（第3期）复制件", "confidential", "赵丽华", source="copied",
                    days=90, copied_on=ago(88)),
            carrier("ZT-2026-002", "关于开展保密自查的通知", "confidential", "赵丽华", days=70,
                    state="destroyed", destroyed_on=ago(12)),
            carrier("ZT-2026-003", "专项工作会议材料", "secret", "陈晓东", days=30, state="surrendered"),
            device("ZC-JSJ-01", "desktop", "secret", "机要室", "陈晓东", red_black_power="yes",
                   video_jammer="yes"),
            device("ZC-JSJ-02", "desktop", "confidential", "保密办", "赵丽华", red_black_power="yes",
                   video_jammer="no"),
            device("ZC-JSJ-03", "desktop", "confidential", "综合科", "孙敏", red_black_power="yes",
                   video_jammer=""),
            device("ZC-BJB-01", "laptop", "confidential", "机要室保密柜", "陈晓东"),
            device("ZC-DY-01", "office", "secret", "机要室", "陈晓东"),
            device("ZC-DY-02", "office", "confidential", "保密办", "赵丽华", state="idle"),
            classifier("DM-01", "刘建华", "办公室主任", "secret", "东湖区人民政府（法定定密责任人）"),
            classifier("DM-02", "赵丽华", "保密办主任", "confidential", "东湖区人民政府办公室主任刘建华"),
            matter("SX-2025-01", "区重点项目年度调度方案", "confidential", 5, "办公室、综合科分管领导和经办人",
                   f"{scope_range} 第3条"),
            matter("SX-2025-02", "区应急指挥通信保障预案", "secret", 10, "办公室主任、机要室",
                   f"{scope_range} 第7条", review_on=ago(10)),  # its review date passed ten days ago
            matter("SX-2026-01", "区重大活动安全保卫方案", "confidential", 2, "办公室主任、经办人", ""),  # no basis
            place("YH-01", "机要室", "position", responsible="陈晓东",
                  measures="门禁、视频监控、防盗报警；手机存放柜；保密柜 3 台"),
            place("YH-02", "档案室", "position", responsible="赵丽华", confirmed_on="", confirmed_by="",
                  measures="防盗门、视频监控"),  # designated, not yet confirmed by the bureau
            place("YH-03", "办公室", "department", responsible="刘建华",
                  measures="涉密文件集中存放保密柜；手机统一存放；外来人员登记陪同"),
        ],
        "XS-ZRZY": [
            person("RY-01", "孙志强", "办公室 保密员", "important"),
            person("RY-02", "马丽", "规划科 科长", "important"),
            person("RY-03", "何平", "测绘科 科员", "important", trained=this_year(5)),
            carrier("ZT-01", "1:10000 基础测绘成果（图幅清单）", "secret", "何平", kind="other", days=500,
                    secret_until=(today + timedelta(days=900)).isoformat()),
            carrier("ZT-02", "国土空间规划涉密图件", "secret", "马丽", kind="other", days=380),
            carrier("ZT-03", "测绘成果存储硬盘", "secret", "何平", kind="media", source="made", days=360),
            device("ZC-01", "desktop", "secret", "测绘科涉密机房", "何平", red_black_power="yes",
                   video_jammer="yes"),
            device("ZC-02", "office", "secret", "测绘科涉密机房", "何平"),
            classifier("DM-01", "王卫东", "局长", "secret", "西山县自然资源局（法定定密责任人）"),
            matter("SX-01", "县级基础测绘成果汇总", "secret", 10, "测绘科、分管局领导",
                   "测绘地理信息工作国家秘密范围 第2条"),
            place("YH-01", "测绘成果保管室", "position", responsible="何平", measures="门禁、视频监控、防盗报警"),
        ],
        "BC-GAJ": [
            person("RY-001", "高峰", "指挥中心 主任", "core"),
            person("RY-002", "林静", "办公室 保密员", "important"),
            carrier("ZT-001", "年度安保工作方案", "secret", "林静", days=150),
            device("ZC-001", "desktop", "secret", "指挥中心", "高峰", red_black_power="yes", video_jammer="yes"),
            classifier("DM-01", "郑国强", "局长", "secret", "宝川市公安局（法定定密责任人）"),
            matter("SX-01", "重大活动安保方案", "secret", 10, "指挥中心、分管局领导", "公安工作国家秘密范围 第5条"),
            place("YH-01", "指挥中心", "department", responsible="高峰", measures="门禁、视频监控、电磁屏蔽"),
            place("YH-02", "机要室", "position", responsible="林静", measures="门禁、视频监控、保密柜"),
        ],
        "DH-FY": [
            person("RY-01", "黄磊", "审判管理办公室 主任", "important"),
            carrier("ZT-01", "涉密案件卷宗（目录）", "confidential", "黄磊", days=200),
            device("ZC-01", "desktop", "confidential", "审判管理办公室", "黄磊", red_black_power="yes",
                   video_jammer="no"),
            place("YH-01", "涉密档案室", "position", responsible="黄磊", confirmed_on="",
                  confirmed_by="", measures="防盗门、保密柜"),  # awaiting the bureau's confirmation
        ],
    }


# The bureau's rating of each unit's leadership (领导干部履行保密工作责任制情况), with its grounds.
LEADERSHIP = {
    "BC-FGW": (92, "主要负责人年内两次专题听取保密工作汇报，年度保密工作情况报告按时报送。"),
    "BC-CZJ": (88, "党组会议研究保密工作一次，年度保密工作情况报告按时报送。"),
    "BC-GAJ": (70, "整改通知书下发后未按期报送整改情况，经提醒仍未整改；年度报告按时报送。"),
    "BC-TJJ": (85, "年度保密工作情况报告按时报送，分管负责人参加全市保密工作会议。"),
    "DH-ZFB": (86, "主要负责人主持召开保密委员会会议，部署网络终端专项整治。"),
    "DH-JYJ": (80, "年度保密工作情况报告迟报一周。"),
    "DH-FY": (90, "党组会议专题研究保密工作，年度报告按时报送。"),
    "DH-DL": (78, "保密工作分管负责人年内调整后未及时明确职责分工。"),
    "XS-ZFB": (88, "主要负责人年内专题听取保密工作汇报，年度报告按时报送。"),
    "XS-ZRZY": (76, "去年已整改的问题今年再次出现，主要负责人已作书面说明。"),
    "XS-YY": (82, "年度保密工作情况报告按时报送。"),
    "XS-DAG": (90, "档案开放审核中落实保密审查，年度报告按时报送。"),
}
# The one adjustment of the year: the unit that let its rectification notice lapse (the overdue chapter).
ADJUSTMENT = ("BC-GAJ", -3.0, "整改通知书确定的整改期限届满两周仍未报送整改情况，依照考核方案扣分。")


def _the_years_appraisal(story: _Story) -> None:
    """The city's annual appraisal (保密工作责任制考核) of its twelve units, made in the year's last weeks (or, for a
    demo seeded in January or February, of the year just ended): computed from the inspections, tickets, incidents
    and registers above (宝川市公安局's case determined a leak makes it 不合格 whatever its total, 西山县自然资源局's
    notebook reported a day and a half late costs it points), the leadership rated unit by unit, three points taken
    from the unit that let its notice lapse (宝川市公安局 again), and approved by the leader. The units the year's
    inspections did not reach are rated for leadership like every unit, but not rated in the appraisal: leadership
    and incidents are too little of the scheme (its min_weight), and the 通报 says so. 东湖区's own appraisal of its
    four units is still a draft: its leadership ratings are not entered."""
    session, today = story.session, story.today
    appraisals.sync_schemes(session)
    annual = next((s for s in appraisals.current_schemes(session) if s.key == "annual"), None)
    if annual is None:
        return
    year = (today - timedelta(days=60)).year
    inspector, leader = story.users["inspector"], story.users["leader"]
    city = appraisals.create_round(session, inspector, area=story.units["BC-FGW"].parent, year=year, scheme=annual)
    for code, (value, reason) in LEADERSHIP.items():
        appraisals.enter_value(session, inspector, city, story.units[code], "leadership", value, reason)
    code, points, reason = ADJUSTMENT
    appraisals.adjust(session, inspector, city, story.units[code], points, reason)
    appraisals.approve(session, leader, city, city.revision)
    appraisals.create_round(session, story.users["inspector2"], area=story.units["DH-ZFB"].parent, year=year,
                            scheme=annual)
