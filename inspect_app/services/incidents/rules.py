"""What every step of an incident shares: the 24-hour clock and its time zones, who may act, which states allow
which step (and the explanation when they refuse it), the text and file checks, and the timeline event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ... import clock
from ...models import (
    Attachment,
    AttachmentKind,
    Determination,
    Incident,
    IncidentEvent,
    IncidentStatus,
    Role,
    User,
    utcnow,
)
from ...models.incident import OPEN_STATUSES, REPORT_WITHIN
from .. import Conflict, DomainError, attachments, audit, notifications
from ..classified import find_suspicions
from ..rectification.rules import app_setting

TITLE_LIMIT = 120
MAX_QUANTITY = 100_000
MAX_FILES = 20
FILE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
# A clock a few minutes fast on the reporter's device is no reason to refuse "found just now".
CLOCK_SKEW = timedelta(minutes=10)


# The clock ------------------------------------------------------------------------------------------------


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA time zone `name` (the bureau's when empty); DomainError for a name that is no zone (only names the
    system knows are looked up: a path-like name never reaches the file system)."""
    name = (name or "").strip() or str(clock.timezone())
    if name not in _zone_names():
        raise DomainError(_("未知的时区：%(zone)s。", zone=name[:64]), field="zone")
    return ZoneInfo(name)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def to_utc(wall: datetime, zone: ZoneInfo, field: str = "found_at") -> datetime:
    """The stored (naive UTC) moment of a wall-clock time read in `zone`; DomainError (on `field`) for a time
    outside the calendar the records keep."""
    if not clock.FIRST_DAY <= wall.date() <= clock.LAST_DAY:
        raise DomainError(_("时间超出了可以记录的范围，请核对。"), field=field)
    return wall.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def in_zone(moment: datetime, zone: ZoneInfo | str | None = None) -> datetime:
    """A stored (naive UTC) moment as the wall-clock time of `zone` (the bureau's by default)."""
    target = zone if isinstance(zone, ZoneInfo) else zone_named(zone) if zone else clock.timezone()
    return moment.replace(tzinfo=UTC).astimezone(target)


def report_due(found_at: datetime) -> datetime:
    """When the report is due: 24 hours after the incident was found, whatever the calendar or the zone says."""
    return found_at + REPORT_WITHIN


@dataclass(frozen=True)
class ReportClock:
    """Where an incident's report stands against the 24 hours, as its page shows it."""

    found_at: datetime
    due_at: datetime
    reported_at: datetime | None
    now: datetime

    @property
    def late(self) -> bool:
        """Reported after the 24 hours, or not reported and the 24 hours are over."""
        return (self.reported_at or self.now) > self.due_at

    @property
    def late_by(self) -> timedelta | None:
        return (self.reported_at or self.now) - self.due_at if self.late else None

    @property
    def left(self) -> timedelta | None:
        """Time left to report, while the report is awaited and not yet late."""
        return self.due_at - self.now if self.reported_at is None and not self.late else None

    @property
    def took(self) -> timedelta | None:
        return self.reported_at - self.found_at if self.reported_at else None


def report_clock(incident: Incident, now: datetime | None = None) -> ReportClock:
    return ReportClock(incident.found_at, incident.report_due_at, incident.reported_at, now or utcnow())


def default_target(found_at: datetime) -> date:
    """The day a case should be concluded by: INCIDENT_CASE_DAYS after the (local) day it was found."""
    return clock.local_date(found_at) + timedelta(days=int(app_setting("INCIDENT_CASE_DAYS", 90)))


def check_moments(*, found_at: datetime, occurred_at: datetime | None, reported_at: datetime | None,
                  now: datetime) -> None:
    """The times of a report in order: occurred ≤ found ≤ reported ≤ now, none before the calendar's first day."""
    earliest = datetime.combine(clock.FIRST_DAY, datetime.min.time())
    if found_at < earliest:
        raise DomainError(_("发现时间早得不合常理，请核对。"), field="found_at")
    if found_at > now + CLOCK_SKEW:
        raise DomainError(_("发现时间不能晚于现在。"), field="found_at")
    if occurred_at is not None and occurred_at > found_at:
        raise DomainError(_("发生时间不能晚于发现时间。"), field="occurred_at")
    if occurred_at is not None and occurred_at < earliest:
        raise DomainError(_("发生时间早得不合常理，请核对。"), field="occurred_at")
    if reported_at is not None and reported_at < found_at:
        raise DomainError(_("单位报告时间不能早于发现时间。"), field="reported_at")
    if reported_at is not None and reported_at > now + CLOCK_SKEW:
        raise DomainError(_("单位报告时间不能晚于现在。"), field="reported_at")


# Who may act ----------------------------------------------------------------------------------------------


def is_unit_officer(user: User | None, incident: Incident) -> bool:
    return bool(user and user.active and user.role == Role.OFFICER and user.org_node_id == incident.unit_id)


def is_handler(user: User | None, incident: Incident) -> bool:
    """An inspector of the bureau the case belongs to, or of one above it (the city's inspectors for a district's
    case): they run the case."""
    return bool(user and user.active and user.role == Role.INSPECTOR and user.org_node.contains(incident.bureau)
                and user.org_node.contains(incident.unit))


def check_handler(user: User, incident: Incident) -> None:
    if not is_handler(user, incident):
        raise DomainError(_("只有负责该案件的保密局检查员可以办理。"))


def check_officer(user: User, incident: Incident) -> None:
    if not is_unit_officer(user, incident):
        raise DomainError(_("只有事发单位的保密员可以报送。"))


# What each step needs, and the explanation when the state refuses it ---------------------------------------

_ALLOWED: dict[str, tuple[str, ...]] = {
    "investigate": (IncidentStatus.REPORTED,),
    "determine": (IncidentStatus.INVESTIGATING,),
    "handle": (IncidentStatus.DETERMINED,),
    "close": (IncidentStatus.DETERMINED, IncidentStatus.HANDLED),
    "note": OPEN_STATUSES,
    "supplement": OPEN_STATUSES,
    "unit_report": OPEN_STATUSES,
    "follow_up": (IncidentStatus.INVESTIGATING, IncidentStatus.DETERMINED, IncidentStatus.HANDLED),
    "bulletin": (IncidentStatus.HANDLED, IncidentStatus.CLOSED),
}
ACTIONS = tuple(_ALLOWED)


def _step_name(action: str) -> str:
    return {
        "investigate": _("开始调查"),
        "determine": _("作出认定"),
        "handle": _("提出处理意见"),
        "close": _("结案"),
        "note": _("记录调查情况"),
        "supplement": _("补充报告"),
        "unit_report": _("报送事件报告"),
        "follow_up": _("安排专项检查"),
        "bulletin": _("起草案件通报"),
    }[action]


def refusal(action: str, incident: Incident) -> str | None:
    """Why `action` cannot be taken on `incident` now, in words; None when it can."""
    what = _step_name(action)
    status = incident.status
    if action == "bulletin" and incident.determination == Determination.UNFOUNDED:
        return _("认定不构成泄密或违规的案件不作通报。")
    if status not in _ALLOWED[action]:
        if status == IncidentStatus.CLOSED:
            return _("案件已结案，不能再%(what)s。", what=what)
        if action == "determine" and status == IncidentStatus.REPORTED:
            return _("案件尚未开始调查，不能%(what)s。", what=what)
        if action in ("handle", "close") and status in (IncidentStatus.REPORTED, IncidentStatus.INVESTIGATING):
            return _("案件尚未作出认定，不能%(what)s。", what=what)
        if action == "bulletin":
            return _("案件提出处理意见后才能%(what)s。", what=what)
        if action == "follow_up":
            return _("案件开始调查后才能%(what)s。", what=what)
        return _("案件已进入下一阶段，不能再%(what)s。", what=what)
    if action == "close" and status == IncidentStatus.DETERMINED and incident.determination != Determination.UNFOUNDED:
        return _("认定为泄密或违规的案件，须先提出处理意见才能结案。")
    if action == "unit_report" and incident.reported_at is not None:
        return _("单位已报告过这起事件；如有新情况，请补充报告。")
    if action == "follow_up" and incident.follow_up_id is not None:
        return _("已经为这起案件安排过专项检查。")
    return None


def check_state(incident: Incident, action: str) -> None:
    message = refusal(action, incident)
    if message:
        raise Conflict(message)


def check_revision(incident: Incident, revision: int | None) -> None:
    """Conflict when the case moved on since the page showing `revision` was loaded."""
    if revision is not None and revision != incident.revision:
        raise Conflict(_("这起案件在您打开页面后已有新的变化，请查看最新情况后再操作。"))


def lock(session: Session, incident: Incident) -> Incident:
    session.refresh(incident, with_for_update=True)
    return incident


# Texts and files ------------------------------------------------------------------------------------------


def record_confirmation(session: Session, actor: User, incident: Incident, fields: dict[str, str | None],
                        needed: bool) -> None:
    """The audit record of a confirmation that text looking classified is not (when one was `needed`)."""
    if needed:
        audit.record(session, actor, "incident.unclassified_confirmed", incident,
                     details={"fields": [s.field for s in find_suspicions(fields)]})


@dataclass
class Upload:
    data: bytes
    filename: str


def store_files(uploads: Sequence[Upload]) -> list[tuple[attachments.StoredFile, str]]:
    """Check and keep the files before the transaction; DomainError naming the file that is refused."""
    if len(uploads) > MAX_FILES:
        raise DomainError(_("一次最多上传 %(n)d 份材料。", n=MAX_FILES), field="files")
    stored = []
    for upload in uploads:
        try:
            stored.append((attachments.store(upload.data, allowed=FILE_TYPES), upload.filename))
        except DomainError as exc:
            raise DomainError(f"{attachments.display_name(upload.filename)}：{exc.message}", field="files") from None
    return stored


def add_files(session: Session, actor: User, incident: Incident, event: IncidentEvent, stored,
              kind: str = AttachmentKind.EVIDENCE) -> list[Attachment]:
    made = []
    for file, filename in stored:
        attachment = Attachment(
            unit_id=incident.unit_id, kind=kind, incident_id=incident.id, incident_event_id=event.id,
            sha256=file.sha256, mime=file.mime, size=file.size, filename=attachments.display_name(filename),
            width=file.width, height=file.height, uploaded_by_id=actor.id, uploaded_at=utcnow())
        session.add(attachment)
        made.append(attachment)
    session.flush()
    return made


# The timeline ---------------------------------------------------------------------------------------------


def record_event(session: Session, actor: User | None, incident: Incident, kind: str, *, body: str | None = None,
                 from_status: str | None = None, internal: bool = False, details: dict | None = None,
                 files: Sequence[Attachment] = ()) -> IncidentEvent:
    """One timeline entry (who, what, why; the state it moved from and to) and the audit record that carries it."""
    event = IncidentEvent(incident_id=incident.id, unit_id=incident.unit_id, kind=kind,
                          actor_id=actor.id if actor else None, at=utcnow(), body=body, from_status=from_status,
                          to_status=incident.status if from_status else None, internal=internal)
    session.add(event)
    session.flush()
    audit.record(session, actor, f"incident.{kind}", incident, actor_name="system",
                 details={"event_id": event.id, "status": incident.status,
                          **({"from": from_status} if from_status else {}), **(details or {})})
    return event


def files_recorded(session: Session, actor: User, incident: Incident, event: IncidentEvent, stored,
                   kind: str = AttachmentKind.EVIDENCE) -> list[Attachment]:
    """The files sent with a step, on its event, and their hashes in the audit trail."""
    files = add_files(session, actor, incident, event, stored, kind)
    if files:
        audit.record(session, actor, "incident.files", incident,
                     details={"event_id": event.id, "kind": kind, "files": [f.sha256 for f in files]})
    return files


# Who hears of a step -----------------------------------------------------------------------------------------


def bureaus_over(session: Session, incident: Incident) -> list[User]:
    """The inspectors and leaders of every bureau over the unit: its district's and the city's."""
    unit = incident.unit
    return (notifications.holders_over(session, Role.INSPECTOR, unit)
            + notifications.holders_over(session, Role.LEADER, unit))


def case_side(session: Session, incident: Incident) -> list[User]:
    """Who hears of the unit's step on a case: its handler, or, before one is named, the bureau's inspectors."""
    if incident.handler is not None:
        return [incident.handler]
    return notifications.holders_over(session, Role.INSPECTOR, incident.unit)


def unit_side(session: Session, incident: Incident, actor: User | None = None) -> list[User]:
    return [u for u in notifications.unit_officers(session, incident.unit_id) if actor is None or u.id != actor.id]


def short_title(incident: Incident, limit: int = 40) -> str:
    return incident.title if len(incident.title) <= limit else incident.title[: limit - 1] + "…"
