"""A city's worth of synthetic inspections for demos and benchmarks: `flask --app wsgi seed-demo --scale N`.

N inspections spread over three years and the units of a grown demo city (about one unit per eight
inspections, in eight district bureaus and the city's own units), with every answer, the findings of about
10 % failed items, notices, and tickets in every state with their timelines and extension requests.

The data are made to look like a city's: weak units fail more than strong ones, a few checklist items fail
far more often than the rest, units rate themselves higher in self-inspections than inspectors do, things
improve slowly over the three years, inspections avoid Chinese New Year and weekends, and some units are
slow to fix what they are told. Repeat findings (屡查屡犯) and stepped-up severities follow the same rule
as submitting does. Everything is deterministic for a given seed.

Rows go in with bulk inserts in batches (on PostgreSQL with COPY), with ids assigned here so children can point
at their parents without a round trip; on PostgreSQL the id sequences are moved past them afterwards. The
rollups of the leadership figures are rebuilt at the end. One audit record summarises the whole addition.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, selectinload

from ... import clock
from ...database import bulk_insert, transaction
from ...models import (
    Answer,
    ChecklistItem,
    Compliance,
    ExtensionRequest,
    Finding,
    Inspection,
    InspectionMember,
    InspectionTemplate,
    NodeKind,
    Notice,
    NoticeCounter,
    OrgNode,
    ResponseType,
    Role,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from ...models.checklist import SEVERITY_ORDER
from .. import analytics, audit, checklists
from ..accounts import passwords
from ..inspections import REPEAT_WINDOW, scored_items, scoring
from ..rectification.rules import rectification_days
from .story import CITY_CODE, DEMO_PASSWORD

BATCH = 5000
INSPECTIONS_PER_UNIT = 8  # over three years: about two bureau inspections and one self-inspection a year
DISTRICT_TARGET = 8
KIND_ZH = {"routine": "例行检查", "special": "专项检查", "spot": "抽查", "self": "自查"}
KIND_WEIGHTS = {"routine": 55, "special": 15, "spot": 10, "self": 20}
# Fewer inspections around the Spring Festival, more in the spring and autumn inspection seasons.
MONTH_WEIGHTS = [0.45, 0.5, 1.0, 1.2, 1.25, 1.1, 0.85, 0.8, 1.1, 1.3, 1.35, 1.1]
NEW_DISTRICTS = [("南湖区", "NH"), ("北山区", "BS"), ("青江区", "QJ"), ("白云区", "BY"), ("临川县", "LC"),
                 ("石门县", "SM"), ("河口区", "HK"), ("松岭县", "SL")]
DEPARTMENTS = [
    ("人民政府办公室", "party_gov"), ("发展和改革局", "party_gov"), ("教育局", "party_gov"),
    ("科学技术局", "party_gov"), ("工业和信息化局", "party_gov"), ("公安分局", "party_gov"),
    ("民政局", "party_gov"), ("司法局", "party_gov"), ("财政局", "party_gov"), ("人力资源和社会保障局", "party_gov"),
    ("自然资源局", "party_gov"), ("生态环境局", "party_gov"), ("住房和城乡建设局", "party_gov"),
    ("交通运输局", "party_gov"), ("水务局", "party_gov"), ("农业农村局", "party_gov"), ("商务局", "party_gov"),
    ("文化和旅游局", "party_gov"), ("卫生健康委员会", "party_gov"), ("退役军人事务局", "party_gov"),
    ("应急管理局", "party_gov"), ("审计局", "party_gov"), ("市场监督管理局", "party_gov"), ("统计局", "party_gov"),
    ("医疗保障局", "party_gov"), ("信访局", "party_gov"), ("档案馆", "institution"), ("人民医院", "institution"),
    ("中医院", "institution"), ("第一中学", "institution"), ("疾病预防控制中心", "institution"),
    ("气象局", "institution"), ("人民法院", "judicial"), ("人民检察院", "judicial"), ("总工会", "people_org"),
    ("共青团委员会", "people_org"), ("妇女联合会", "people_org"), ("供电公司", "state_enterprise"),
    ("城市投资集团", "state_enterprise"), ("水务集团", "state_enterprise"), ("电子研究所", "defence"),
    ("精密机械厂", "defence"), ("邮政分公司", "other"),
]
NUMERALS = "一二三四五六七八九十"
DECISION_REASONS = {"granted": "同意延期", "refused": "整改期限内可完成，不同意延期"}


@dataclass
class ScaleReport:
    inspections: int = 0
    answers: int = 0
    findings: int = 0
    tickets: int = 0
    notices: int = 0
    events: int = 0
    units_added: int = 0
    districts_added: int = 0
    users_added: int = 0
    ticket_states: dict[str, int] = field(default_factory=dict)


@dataclass
class _Unit:
    id: int
    name: str
    parent_id: int
    key: bool
    quality: float  # > 1 fails more
    diligence: float  # > 1 fixes faster
    self_optimism: float  # < 1 hides failures in self-inspection
    officer_id: int


@dataclass
class _Form:
    """A checklist version as the generator needs it."""

    version_id: int
    key: str
    category: str
    items: list[ChecklistItem]
    scored: list[scoring.ScoredItem]
    difficulty: list[float]


class _Ids:
    """Ids handed out here, above whatever the tables hold."""

    def __init__(self, session: Session):
        self.session = session
        self.next: dict[type, int] = {}

    def take(self, model) -> int:
        if model not in self.next:
            self.next[model] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Writer:
    """Buffers rows per table and inserts them in dependency order, in batches. Callers flush between whole
    inspections, so a flush never holds a child without its parent."""

    ORDER = (OrgNode, User, Inspection, InspectionMember, InspectionTemplate, Answer, Finding, Notice, Ticket,
             ExtensionRequest, TicketEvent)

    def __init__(self, session: Session):
        self.session = session
        self.rows: dict[type, list[dict]] = {m: [] for m in self.ORDER}
        self.buffered = 0

    def add(self, model, row: dict) -> None:
        self.rows[model].append(row)
        self.buffered += 1

    def flush(self, at_least: int = 0) -> None:
        if self.buffered < at_least:
            return
        for model in self.ORDER:
            rows = self.rows[model]
            if rows:
                columns = list(rows[0])
                bulk_insert(self.session, model.__table__, columns, ([row[c] for c in columns] for row in rows))
            rows.clear()
        self.buffered = 0


def _local_to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, clock.timezone()).astimezone(UTC).replace(tzinfo=None)


def _weekday(day: date) -> date:
    """Saturday moves back to Friday, Sunday on to Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _load_forms(session: Session, rng: random.Random) -> dict[str, _Form]:
    forms = {}
    for version in checklists.current_versions(session):
        items = list(session.scalars(
            select(ChecklistItem).where(ChecklistItem.version_id == version.id)
            .options(selectinload(ChecklistItem.section)).order_by(ChecklistItem.id)))
        # Most items fail now and then; about one in twelve is a chronic weak spot.
        difficulty = [rng.choice((3.5, 4.5, 6.0)) if rng.random() < 0.08 else rng.uniform(0.3, 1.3) for _ in items]
        forms[version.template.key] = _Form(version.id, version.template.key, version.template.category, items,
                                            scored_items(items), difficulty)
    return forms


def _grow_org(session: Session, ids: _Ids, writer: _Writer, rng: random.Random, report: ScaleReport,
              units_wanted: int, password_hash: str, now: datetime) -> tuple[OrgNode, list[OrgNode]]:
    city = session.scalar(select(OrgNode).where(OrgNode.code == CITY_CODE))
    districts = list(session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT, OrgNode.active)))
    taken = set(session.scalars(select(OrgNode.code)))
    for name, code in NEW_DISTRICTS:
        if len(districts) >= DISTRICT_TARGET:
            break
        code = f"BC-{code}"
        if code in taken:
            continue
        node_id = ids.take(OrgNode)
        row = dict(id=node_id, parent_id=city.id, kind=NodeKind.DISTRICT, name=f"{name}国家保密局", code=code,
                   unit_type=None, is_key_unit=False, active=True, path=f"{city.path}{node_id}/", created_at=now)
        writer.add(OrgNode, row)
        districts.append(OrgNode(**row))
        taken.add(code)
        report.districts_added += 1

    existing = session.scalar(select(func.count()).select_from(OrgNode).where(OrgNode.kind == NodeKind.UNIT)) or 0
    names = set(session.scalars(select(OrgNode.name)))
    serial = 0
    for _ in range(max(0, units_wanted - existing)):
        parent = city if rng.random() < 0.25 else rng.choice(districts)
        place = "宝川市" if parent is city else parent.name.removesuffix("国家保密局")
        for _attempt in range(8):  # another department of the place, while there is one
            department, unit_type = rng.choice(DEPARTMENTS)
            if f"{place}{department}" not in names:
                break
        name, n = f"{place}{department}", 1
        while name in names:  # then a second school or hospital of the place is numbered, as in life
            n += 1
            name = f"{place}{department}（{_ordinal(n)}）"
        names.add(name)
        while True:
            serial += 1
            code = f"SC-{serial:05d}"
            if code not in taken:
                break
        taken.add(code)
        node_id = ids.take(OrgNode)
        writer.add(OrgNode, dict(
            id=node_id, parent_id=parent.id, kind=NodeKind.UNIT, name=name, code=code,
            unit_type=unit_type, is_key_unit=rng.random() < 0.3, active=rng.random() > 0.01,
            path=f"{parent.path}{node_id}/", created_at=now))
        report.units_added += 1
    writer.flush()

    # Every bureau gets an inspector and every unit an officer, so each inspection has a proper lead.
    has_account = {(role, node) for role, node in session.execute(select(User.role, User.org_node_id))}
    usernames = set(session.scalars(select(User.username)))
    nodes = list(session.scalars(select(OrgNode).where(OrgNode.active).order_by(OrgNode.id)))
    for node in nodes:
        role = Role.OFFICER if node.kind == NodeKind.UNIT else Role.INSPECTOR
        if (role, node.id) in has_account:
            continue
        username = f"{'o' if role == Role.OFFICER else 'i'}-{node.code.lower()}"
        if username in usernames:
            continue
        writer.add(User, dict(
            id=ids.take(User), username=username, role=role, org_node_id=node.id,
            display_name=("保密员" if role == Role.OFFICER else "检查员") + node.code[-3:],
            password_hash=password_hash, active=True, must_change_password=False, failed_logins=0,
            language="zh", created_at=now))
        report.users_added += 1
    writer.flush()
    units = [n for n in nodes if n.kind == NodeKind.UNIT]
    return city, units


def _ordinal(n: int) -> str:
    return NUMERALS[n - 1] if n <= 10 else str(n)


def _pick_date(rng: random.Random, first: date, last: date) -> date:
    span = (last - first).days
    while True:
        day = first + timedelta(days=rng.randrange(span + 1))
        if rng.random() * 1.35 < MONTH_WEIGHTS[day.month - 1]:
            return _weekday(day)


def _templates_for(kind: str, rng: random.Random, forms: dict[str, _Form]) -> list[_Form]:
    areas = [f for f in forms.values() if f.category != "self_assessment"]
    if kind == "self":
        selfs = [f for f in forms.values() if f.category == "self_assessment"]
        return selfs[:1] or rng.sample(areas, 2)
    if kind == "routine":
        chosen = rng.sample(areas, rng.choice((3, 3, 4)))
    else:
        # Special inspections look at the three managements more than anything else.
        focus = [f for f in areas if f.category in ("classification", "network", "personnel", "carrier")]
        chosen = rng.sample(focus if kind == "special" else areas, rng.choice((1, 2, 2)))
    return sorted(chosen, key=lambda f: f.key)


def add_scale(session: Session, n: int, *, seed: int = 2026, today: date | None = None, now: datetime | None = None,
              progress: Callable[[str], None] | None = None) -> ScaleReport:
    """Add `n` synthetic inspections (and what follows from them) to the demo city, as of `today` and the instant
    `now` (naive UTC; by default the clock's): with both given, the same seed gives the same city."""
    if n <= 0:
        return ScaleReport()
    today = today or clock.local_today()
    now = now or utcnow()
    rng = random.Random(seed)
    report = ScaleReport()
    say = progress or (lambda _message: None)
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    with transaction(session):
        ids = _Ids(session)
        writer = _Writer(session)
        forms = _load_forms(session, rng)
        if not forms:
            raise RuntimeError("the checklist library is empty: run `flask --app wsgi checklists sync` first")
        scale_before = session.scalar(select(func.count()).select_from(Inspection)) or 0
        units_wanted = math.ceil((scale_before + n) / INSPECTIONS_PER_UNIT)
        city, units = _grow_org(session, ids, writer, rng, report, units_wanted, password_hash, now)
        say(f"org: {len(units)} active units ({report.units_added} units and {report.districts_added} districts added)")

        inspectors = {node: uid for uid, node in session.execute(
            select(User.id, User.org_node_id).where(User.role == Role.INSPECTOR, User.active).order_by(User.id))}
        officers = {node: uid for uid, node in session.execute(
            select(User.id, User.org_node_id).where(User.role == Role.OFFICER, User.active).order_by(User.id))}
        active_units = [
            _Unit(u.id, u.name, u.parent_id, u.is_key_unit, quality=rng.lognormvariate(0, 0.45),
                  diligence=rng.lognormvariate(0, 0.5), self_optimism=rng.choice((0.15, 0.3, 0.5, 0.6, 0.8)),
                  officer_id=officers[u.id])
            for u in units if u.active and u.id in officers
        ]
        weights = [1.5 if u.key else 1.0 for u in active_units]
        counters = {(b, y): s for b, y, s in session.execute(
            select(NoticeCounter.bureau_id, NoticeCounter.year, NoticeCounter.last_sequence))}
        counters_before = dict(counters)
        bureau_names = dict(session.execute(
            select(OrgNode.id, OrgNode.name).where(OrgNode.kind != NodeKind.UNIT)).all())

        first_day = today - timedelta(days=3 * 365)
        last_day = today + timedelta(days=60)
        plans = []
        for _ in range(n):
            unit = rng.choices(active_units, weights)[0]
            kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
            plans.append((_pick_date(rng, first_day, last_day), kind, unit))
        plans.sort(key=lambda p: p[0])

        failures: dict[tuple[int, str, str], tuple[datetime, int]] = {}
        for index, (day, kind, unit) in enumerate(plans, 1):
            _one_inspection(session, ids, writer, rng, report, forms, today, now, day, kind, unit, city,
                            inspectors, counters, bureau_names, failures)
            writer.flush(at_least=BATCH * 4)
            if index % 2000 == 0:
                say(f"{index} / {n} inspections")
        writer.flush()

        for (bureau_id, year), last in counters.items():
            if (bureau_id, year) in counters_before:
                session.execute(NoticeCounter.__table__.update()
                                .where(NoticeCounter.bureau_id == bureau_id, NoticeCounter.year == year)
                                .values(last_sequence=last))
            else:
                session.execute(insert(NoticeCounter), [dict(bureau_id=bureau_id, year=year, last_sequence=last)])
        if session.get_bind().dialect.name == "postgresql":
            for model in _Writer.ORDER:
                table = model.__tablename__
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
        say("rollups: rebuilt from the records")
        analytics.rebuild(session)  # the bulk inserts went past the session's upkeep of the rollups
        audit.record(session, None, "demo.scale", None, actor_name="seed-demo", details={
            "inspections": report.inspections, "findings": report.findings, "tickets": report.tickets,
            "units_added": report.units_added, "seed": seed})
    return report


def _one_inspection(session, ids, writer, rng, report, forms, today, now, day, kind, unit: _Unit, city, inspectors,
                    counters, bureau_names, failures) -> None:
    inspection_id = ids.take(Inspection)
    chosen = _templates_for(kind, rng, forms)
    if kind == "self":
        bureau_id, lead_id = unit.id, unit.officer_id
    else:
        by_city = unit.parent_id == city.id or rng.random() < 0.3
        bureau_id = city.id if by_city or unit.parent_id not in inspectors else unit.parent_id
        lead_id = inspectors[bureau_id]
    age = (today - day).days
    # Where the inspection stands today.
    if age < 0:
        status = "planned"
    elif age <= 10:
        status = rng.choices(("planned", "in_progress", "submitted"), (2, 3, 5))[0]
    elif rng.random() < 0.03:
        status = "cancelled"
    else:
        status = "submitted"
    created_at = _local_to_utc(day - timedelta(days=rng.randint(7, 40)), time(9, rng.randrange(60)))
    started_at = _local_to_utc(day, time(9, rng.randrange(30))) if status not in ("planned", "cancelled") else None
    submitted_at = (_local_to_utc(day, time(rng.randint(14, 17), rng.randrange(60)))
                    if status == "submitted" else None)
    row = dict(id=inspection_id, unit_id=unit.id, bureau_id=bureau_id, kind=kind, status=status,
               title=f"{unit.name}{day.year}年{KIND_ZH[kind]}", scope=None, notes=None, scheduled_on=day,
               started_at=started_at, submitted_at=submitted_at, issued_at=None, closed_at=None,
               cancelled_at=(created_at + timedelta(days=3)) if status == "cancelled" else None,
               cancel_reason="被检查单位临时承担重大任务，改期检查" if status == "cancelled" else None,
               lead_id=lead_id, created_by_id=lead_id, created_at=created_at, score=None, band=None, veto=False,
               deductions=0, score_json=None, reopen_count=0, revision=1)
    writer.add(Inspection, row)
    report.inspections += 1
    writer.add(InspectionMember, dict(id=ids.take(InspectionMember), inspection_id=inspection_id, user_id=lead_id,
                                      is_lead=True))
    for position, form in enumerate(chosen):
        writer.add(InspectionTemplate, dict(id=ids.take(InspectionTemplate), inspection_id=inspection_id,
                                            version_id=form.version_id, position=position))
    if status in ("planned", "cancelled"):
        return

    # Answers: failure is likelier for weak units, hard items, and earlier years; a unit answering its own
    # self-inspection finds less.
    years_ago = max(0.0, (today - day).days / 365)
    drift = 0.8 + 0.15 * years_ago
    base = 0.1 * unit.quality * drift * (unit.self_optimism if kind == "self" else 1.0)
    answered_at = started_at + timedelta(hours=2)
    values: dict[str, str | None] = {}
    failing = []
    answer_ids = {}
    for form in chosen:
        for item, difficulty in zip(form.items, form.difficulty, strict=True):
            if status == "in_progress" and rng.random() < 0.5:
                continue
            finding_text = severity = na_reason = None
            if item.response == ResponseType.COMPLIANCE:
                chance = min(0.9, base * difficulty) if not item.veto else 0.004
                roll = rng.random()
                if roll < chance:
                    value = Compliance.NONCOMPLIANT if rng.random() < 0.6 or item.veto else Compliance.PARTIAL
                    finding_text = f"检查发现：{item.text[:40]}，落实不到位。"
                    # A repeat of a failure within 24 months is suggested one step more severe, as on the tablet.
                    earlier = failures.get((unit.id, form.key, item.key))
                    repeat_of = (earlier[1] if earlier and (submitted_at or now) - earlier[0] <= REPEAT_WINDOW
                                 else None)
                    severity = item.severity if repeat_of is None else SEVERITY_ORDER[
                        min(SEVERITY_ORDER.index(item.severity) + 1, len(SEVERITY_ORDER) - 1)]
                    failing.append((form, item, value, severity, repeat_of))
                elif roll > 0.96 and not item.veto:
                    value, na_reason = Compliance.NOT_APPLICABLE, "本单位无此类事项"
                else:
                    value = Compliance.COMPLIANT
            elif item.response == ResponseType.NUMBER:
                value = str(rng.choice((1, 1, 2)) if item.deduction and rng.random() < base * 0.5 else
                            0 if item.deduction else rng.randint(1, 40))
            elif item.response == ResponseType.CHOICE:
                value = item.choices[0]["key"] if item.choices else None
            else:
                value = "现场查看，情况正常"
            answer_id = ids.take(Answer)
            answer_ids[item.id] = answer_id
            values[f"{item.version_id}:{item.key}"] = value
            writer.add(Answer, dict(id=answer_id, inspection_id=inspection_id, unit_id=unit.id, item_id=item.id,
                                    value=value, note=None, finding_text=finding_text, severity=severity,
                                    na_reason=na_reason, classified_confirmed=False, answered_by_id=lead_id,
                                    answered_at=answered_at, revision=1))
            report.answers += 1
    if status == "in_progress":
        return

    result = scoring.score([s for form in chosen for s in form.scored], values)
    row.update(score=result.score, band=result.band, veto=result.veto, deductions=result.deductions,
               score_json=json.dumps(result.as_dict(), ensure_ascii=False))

    findings = []
    for position, (form, item, value, severity, repeat_of) in enumerate(failing):
        finding_id = ids.take(Finding)
        dropped = rng.random() < 0.01
        writer.add(Finding, dict(
            id=finding_id, inspection_id=inspection_id, unit_id=unit.id, item_id=item.id,
            answer_id=answer_ids[item.id], position=position, template_key=form.key, item_key=item.key,
            category=form.category, item_text=item.text, basis_json=item.basis_json,
            compliance=value, severity=severity,
            description=f"检查发现：{item.text[:40]}，落实不到位。", is_repeat=repeat_of is not None,
            repeat_of_id=repeat_of, status="dropped" if dropped else "active",
            drop_reason="复核后认定不构成问题" if dropped else None, merged_into_id=None, created_at=submitted_at))
        report.findings += 1
        if not dropped:
            failures[(unit.id, form.key, item.key)] = (submitted_at, finding_id)
            findings.append((finding_id, severity))

    # Issuing: a bureau inspection's notice follows within days; a self-inspection's tickets go straight out.
    issued_at = submitted_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 3))
    if issued_at > now or (kind != "self" and age <= 20 and rng.random() < 0.5):
        return
    notice_id = None
    if kind != "self":
        year = clock.local_date(issued_at).year
        sequence = counters.get((row["bureau_id"], year), 0) + 1
        counters[(row["bureau_id"], year)] = sequence
        notice_id = ids.take(Notice)
        writer.add(Notice, dict(id=notice_id, inspection_id=inspection_id, unit_id=unit.id,
                                bureau_id=row["bureau_id"], year=year, sequence=sequence,
                                number=f"{bureau_names[row['bureau_id']][:2]}保检〔{year}〕{sequence}号",
                                issued_by_id=lead_id, issued_at=issued_at))
        report.notices += 1
    row.update(status="issued", issued_at=issued_at)
    finished = [issued_at]
    all_done = True
    for finding_id, severity in findings:
        done_at = _one_ticket(ids, writer, rng, report, now, today, unit, inspection_id, notice_id, finding_id,
                              severity, issued_at, lead_id)
        if done_at is None:
            all_done = False
        else:
            finished.append(done_at)
    if all_done:
        row.update(status="closed", closed_at=max(finished))


def _one_ticket(ids, writer, rng, report, now, today, unit: _Unit, inspection_id, notice_id, finding_id, severity,
                issued_at, inspector_id) -> datetime | None:
    """One ticket and its timeline, played forward until today. Returns when it finished, or None."""
    ticket_id = ids.take(Ticket)
    deadline = rectification_days(severity)
    due = clock.local_date(issued_at) + timedelta(days=deadline)
    original_due = due
    events = [("issued", issued_at, inspector_id, {})]
    status, returns = "open", 0
    responded_at = accepted_at = cancelled_at = None
    extension = None

    if rng.random() < 0.02:
        cancelled_at = issued_at + timedelta(days=rng.randint(1, 10))
        if cancelled_at <= now:
            status = "cancelled"
            events.append(("cancelled", cancelled_at, inspector_id, {"body": "经复核，该问题已随机构调整消除"}))
        else:
            cancelled_at = None
    at = issued_at
    # A slow unit takes longer than its deadline; an extension is sometimes asked for first.
    if status == "open" and rng.random() < 0.08:
        asked = at + timedelta(days=max(1, int(deadline * rng.uniform(0.3, 0.8))))
        if asked <= now:
            outcome = rng.choices(("granted", "refused", "pending"), (70, 25, 5))[0]
            decided = asked + timedelta(days=rng.randint(1, 4))
            if decided > now:
                outcome = "pending"
            wanted = due + timedelta(days=30)
            extension = dict(id=ids.take(ExtensionRequest), ticket_id=ticket_id, unit_id=unit.id,
                             requested_due_date=wanted, reason="整改涉及设备采购，需延长整改期限", status=outcome,
                             requested_by_id=unit.officer_id, requested_at=asked,
                             decided_by_id=inspector_id if outcome != "pending" else None,
                             decided_at=decided if outcome != "pending" else None,
                             decision_reason=DECISION_REASONS.get(outcome))
            events.append(("extension_requested", asked, unit.officer_id, {"new_due_date": wanted,
                                                                          "extension_id": extension["id"]}))
            if outcome == "granted":
                events.append(("extension_granted", decided, inspector_id,
                               {"old_due_date": due, "new_due_date": wanted, "extension_id": extension["id"]}))
                due = wanted
            elif outcome == "refused":
                events.append(("extension_refused", decided, inspector_id, {"extension_id": extension["id"]}))
    while status in ("open", "returned"):
        respond_in = deadline * rng.uniform(0.2, 0.95) / unit.diligence
        respond = at + timedelta(days=respond_in, hours=rng.randint(0, 8))
        if respond > now:
            break
        status, responded_at = "responded", respond
        events.append(("responded", respond, unit.officer_id, {"measures": "已制定整改措施并落实，附佐证材料"}))
        verify = respond + timedelta(days=rng.randint(1, 3 if severity == "critical" else 9), hours=rng.randint(0, 6))
        if verify > now:
            break
        if returns < 2 and rng.random() < 0.15:
            status, returns, at = "returned", returns + 1, verify
            events.append(("returned", verify, inspector_id, {"body": "佐证材料不足，请补充整改前后对比照片"}))
            continue
        status, accepted_at = "accepted", verify
        events.append(("accepted", verify, inspector_id, {}))
    if extension is not None:
        if extension["status"] == "pending" and status in ("accepted", "cancelled"):
            extension.update(status="refused", decided_by_id=inspector_id, decided_at=accepted_at or cancelled_at,
                             decision_reason="已办结，无需延期")
        writer.add(ExtensionRequest, extension)
    writer.add(Ticket, dict(
        id=ticket_id, finding_id=finding_id, inspection_id=inspection_id, notice_id=notice_id, unit_id=unit.id,
        status=status, due_date=due, original_due_date=original_due, returns_count=returns,
        responded_at=responded_at, accepted_at=accepted_at, cancelled_at=cancelled_at, last_reminded_on=None,
        created_at=issued_at, draft_measures=None, draft_responsible=None, draft_completed_on=None,
        draft_saved_at=None, revision=1 + len(events)))
    for kind, at_, actor, extra in events:
        writer.add(TicketEvent, dict(
            id=ids.take(TicketEvent), ticket_id=ticket_id, unit_id=unit.id, kind=kind, actor_id=actor, at=at_,
            body=extra.get("body"), measures=extra.get("measures"),
            responsible="保密员" if kind == "responded" else None,
            completed_on=clock.local_date(at_) if kind == "responded" else None,
            old_due_date=extra.get("old_due_date"), new_due_date=extra.get("new_due_date"),
            extension_id=extra.get("extension_id"), client_uuid=None))
    report.tickets += 1
    report.events += len(events)
    report.ticket_states[status] = report.ticket_states.get(status, 0) + 1
    if status == "accepted":
        return accepted_at
    if status == "cancelled":
        return cancelled_at
    return None
