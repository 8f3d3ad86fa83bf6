"""The demo's incidents: a handful of cases in every state, one reported late, told through the services and dated
back to when each step happened (the services stamp "now")."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import (
    Attachment,
    Incident,
    IncidentEvent,
    OrgNode,
    Ticket,
    TicketEvent,
    TicketEventKind,
    User,
)
from .. import incidents, rectification

BUREAU_ZONE = "Asia/Shanghai"


def _scan(colour: str) -> bytes:
    """A stand-in for a scanned record or a photo: the demo ships no real picture of anything."""
    image = Image.new("RGB", (900, 1200), colour)
    draw = ImageDraw.Draw(image)
    for y in range(150, 1100, 60):
        draw.line([(120, y), (780, y)], fill="white", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    """A stored (UTC) moment at the bureau's wall-clock time on `day`."""
    return clock.utc_at(day, time(hour, minute))


def _report(session: Session, actor: User, unit: OrgNode, *, found: datetime, reported: datetime | None,
            **fields) -> Incident:
    """Reported (or registered by the bureau) as at `reported`; the times given in the bureau's zone."""
    wall = incidents.in_zone(found).replace(tzinfo=None)
    report = incidents.IncidentReport(found_at=wall, zone=BUREAU_ZONE, quantity=fields.pop("quantity", 1), **fields)
    if actor.role == "inspector" and reported is not None:
        report.reported_at = incidents.in_zone(reported).replace(tzinfo=None)
    incident = incidents.report_incident(session, actor, unit, report, now=reported or found + timedelta(hours=1),
                                         uploads=[incidents.Upload(_scan("#6f7f8f"), "现场照片.jpg")])
    _dated(session, incident, reported or found + timedelta(hours=1), created=True)
    return incident


def _dated(session: Session, incident: Incident, moment: datetime, *, created: bool = False, **stamps) -> None:
    """The incident's latest event (and its files, and the timestamps named) happened at `moment`."""
    with transaction(session):
        event = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                .order_by(IncidentEvent.id.desc()).limit(1)).one()
        event.at = moment
        for attachment in session.scalars(select(Attachment).where(Attachment.incident_event_id == event.id)):
            attachment.uploaded_at = moment
        if created:
            incident.created_at = moment
        for name in stamps:
            setattr(incident, name, moment)
        session.flush()


def _ticket_dated(session: Session, ticket: Ticket, kind: str, moment: datetime, **stamps) -> None:
    with transaction(session):
        event = max((e for e in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
                     if e.kind == kind), key=lambda e: e.id)
        event.at = moment
        for attachment in session.scalars(select(Attachment).where(Attachment.ticket_event_id == event.id)):
            attachment.uploaded_at = moment
        for name in stamps:
            setattr(ticket, name, moment)
        session.flush()


def seed_incidents(session: Session, users: dict[str, User], units: dict[str, OrgNode], today: date) -> None:
    _closed_with_its_fix_verified(session, users, units, today)
    _reported_late(session, users, units, today)
    _determined_a_leak(session, users, units, today)
    _handled_fix_under_way(session, users, units, today)
    _found_not_to_be_one(session, users, units, today)
    _just_reported(session, users, units, today)


def _closed_with_its_fix_verified(session, users, units, today) -> None:
    """东湖区人民政府办公室, two months ago: a classified draft on an Internet computer, reported within two hours,
    found a breach without a leak, put right and closed; today the bulletin, not naming the unit."""
    officer, inspector2 = users["officer"], users["inspector2"]
    day = today - timedelta(days=60)
    incident = _report(
        session, officer, units["DH-ZFB"], found=_local(day, 16, 20), reported=_local(day, 18, 5),
        kind="violation", title="涉密文件草稿误存上网计算机", carrier="computer", level="confidential", quantity=2,
        involved="年度工作总结草稿电子文档2份（只记名称）",
        description="保密办例行自查时发现，综合科一名工作人员将两份涉密草稿存放在连接互联网的办公计算机桌面上。",
        persons="综合科工作人员1名", remedies="已立即断开该计算机网络，封存硬盘，删除草稿并交技术部门检查。")
    incidents.start_investigation(session, inspector2, incident, note="单位报告及时，立案调查存储时间和是否外传。")
    _dated(session, incident, _local(day + timedelta(days=1), 9, 30))
    incidents.add_note(session, inspector2, incident,
                       body="询问当事人并调取上网行为日志：草稿存放2天，未发现外发记录。",
                       uploads=[incidents.Upload(_scan("#8f8f7f"), "询问笔录.jpg")])
    _dated(session, incident, _local(day + timedelta(days=3), 15, 0))
    incidents.determine(session, inspector2, incident, determination="violation",
                        reason="技术检查未发现外发和远程控制痕迹，认定为违规存储，未造成泄密。")
    _dated(session, incident, _local(day + timedelta(days=10), 10, 0), determined_at=True)
    ticket = incidents.handle(session, inspector2, incident, discipline="建议对当事人批评教育并取消年度评优资格。",
                              requirement="全面清查上网计算机，建立涉密文档存储登记制度，30日内报送整改情况。",
                              due_date=today + timedelta(days=30))
    handled = day + timedelta(days=12)
    _dated(session, incident, _local(handled, 11, 0), handled_at=True)
    with transaction(session):
        ticket.due_date = ticket.original_due_date = handled + timedelta(days=30)
        ticket.events[0].new_due_date = ticket.due_date
        session.flush()
    _ticket_dated(session, ticket, TicketEventKind.ISSUED, _local(handled, 11, 0), created_at=True)
    answered = handled + timedelta(days=14)
    rectification.respond(session, officer, ticket,
                          measures="清查上网计算机46台，未发现其他涉密文档；已建立存储登记制度。",
                          responsible="赵丽华", completed_on=answered,
                          uploads=[rectification.Upload(_scan("#5b7a5b"), "清查记录.jpg")])
    _ticket_dated(session, ticket, TicketEventKind.RESPONDED, _local(answered, 10, 0), responded_at=True)
    rectification.accept(session, inspector2, ticket, note="现场抽查10台计算机，整改到位。")
    _ticket_dated(session, ticket, TicketEventKind.ACCEPTED, _local(answered + timedelta(days=2), 15, 0),
                  accepted_at=True)
    incidents.close(session, inspector2, incident, summary="违规事实清楚，处理意见已落实，整改经复查销号，结案。")
    _dated(session, incident, _local(answered + timedelta(days=3), 9, 0), closed_at=True)
    # The bulletin is drawn up today, dated today (its 文号 is of this year).
    incidents.draw_up_bulletin(session, inspector2, incident, named=False,
                               summary="某单位一名工作人员将两份涉密文件草稿存放在连接互联网的计算机上，单位自查发现后及时报告并采取了补救措施。")


def _reported_late(session, users, units, today) -> None:
    """西山县自然资源局, three weeks ago: a notebook missing after a trip, reported a day and a half later (late);
    under investigation by the city's inspector, with a follow-up 专项检查 planned."""
    inspector = users["inspector"]
    day = today - timedelta(days=21)
    incident = _report(
        session, users["officer2"], units["XS-ZRZY"], found=_local(day, 9, 0),
        reported=_local(day + timedelta(days=1), 15, 30),
        kind="leak", title="涉密笔记本出差途中遗失", carrier="paper", level="secret",
        involved="涉密笔记本1本（会议记录用）",
        description="工作人员出差返回后整理行李时发现随身携带的涉密笔记本不见，经回忆可能遗落在返程列车上。",
        persons="规划科工作人员1名", remedies="已向铁路部门挂失查找，对知悉范围内人员进行了提醒。")
    incidents.start_investigation(session, inspector, incident, note="载体下落不明，迟报30余小时，立案调查。")
    _dated(session, incident, _local(day + timedelta(days=2), 9, 0))
    incidents.add_note(session, inspector, incident, body="询问当事人：笔记本记有两次内部会议的议程，未记录具体内容。")
    _dated(session, incident, _local(day + timedelta(days=4), 14, 0))
    incidents.plan_follow_up(session, inspector, incident, scheduled_on=today + timedelta(days=10))
    _dated(session, incident, _local(day + timedelta(days=5), 10, 0))


def _determined_a_leak(session, users, units, today) -> None:
    """宝川市公安局, twelve days ago: the bureau learned of classified files sent over a messaging app and registered
    the case; the unit's telephone report had come the same day. Determined a leak, awaiting the handling opinion."""
    inspector = users["inspector"]
    day = today - timedelta(days=12)
    incident = _report(
        session, inspector, units["BC-GAJ"], found=_local(day, 10, 0), reported=_local(day, 17, 40),
        kind="leak", title="涉密文件通过即时通信工具传递", carrier="internet", level="confidential", quantity=3,
        involved="内部通知扫描件3份（只记名称）",
        description="技术监测发现，某科室工作人员为赶工作进度，用手机拍摄3份涉密文件并通过即时通信工具发给同事。",
        persons="某科室工作人员2名", remedies="单位已督促删除手机和聊天记录中的文件，对两部手机进行了技术检查。")
    incidents.start_investigation(session, inspector, incident, note="无保密措施在互联网上传递，立案调查。")
    _dated(session, incident, _local(day + timedelta(days=1), 9, 0))
    incidents.determine(session, inspector, incident, determination="leak",
                        reason="依据《泄密案件查处办法》第五条，无保密措施通过互联网传递国家秘密，按泄露国家秘密处理。")
    _dated(session, incident, _local(today - timedelta(days=5), 16, 0), determined_at=True)


def _handled_fix_under_way(session, users, units, today) -> None:
    """东湖区教育局, a month ago: a classified meeting recorded on a personal phone; handled ten days ago, its fix
    under way on the ticket pages."""
    inspector2 = users["inspector2"]
    day = today - timedelta(days=30)
    incident = _report(
        session, inspector2, units["DH-JYJ"], found=_local(day, 14, 0), reported=_local(day, 20, 10),
        kind="violation", title="涉密会议使用个人手机录音", carrier="phone", level="confidential",
        involved="涉密会议录音1段（已删除）",
        description="会议工作人员在涉密会议期间用个人手机录音，会后整理纪要时被同事发现并报告单位保密办。",
        persons="会务工作人员1名", remedies="已删除录音并对手机进行技术检查，未发现上传记录。")
    incidents.start_investigation(session, inspector2, incident, note="涉密会议手机管理不到位，立案调查。")
    _dated(session, incident, _local(day + timedelta(days=1), 9, 0))
    incidents.determine(session, inspector2, incident, determination="violation",
                        reason="录音未外传，认定为违反涉密会议管理规定，未造成泄密。")
    _dated(session, incident, _local(day + timedelta(days=15), 10, 0), determined_at=True)
    ticket = incidents.handle(session, inspector2, incident, discipline=None,
                              requirement="建立涉密会议手机集中存放制度，配备手机存放柜，对会务人员开展保密教育。",
                              due_date=today + timedelta(days=20))
    handled = today - timedelta(days=10)
    _dated(session, incident, _local(handled, 11, 0), handled_at=True)
    _ticket_dated(session, ticket, TicketEventKind.ISSUED, _local(handled, 11, 0), created_at=True)


def _found_not_to_be_one(session, users, units, today) -> None:
    """西山县人民医院, six weeks ago: a file sent out by mistake was suspected to be classified; appraised as not a
    state secret, the case closed."""
    inspector = users["inspector"]
    day = today - timedelta(days=45)
    incident = _report(
        session, inspector, units["XS-YY"], found=_local(day, 11, 0), reported=_local(day, 12, 30),
        kind="leak", title="疑似涉密文件误发外部邮箱", carrier="internet", level="undetermined",
        involved="统计报表1份", description="工作人员将一份统计报表误发至外部邮箱，单位担心其中含有涉密数据。",
        persons="统计人员1名", remedies="已联系收件人删除邮件，并申请密级鉴定。")
    incidents.start_investigation(session, inspector, incident, note="申请密级鉴定后确定是否泄密。")
    _dated(session, incident, _local(day + timedelta(days=1), 9, 0))
    incidents.determine(session, inspector, incident, determination="unfounded",
                        reason="经密级鉴定，该报表不属于国家秘密，不构成泄密。")
    _dated(session, incident, _local(day + timedelta(days=5), 10, 0), determined_at=True)
    incidents.close(session, inspector, incident, summary="不构成泄密，提醒单位加强对外发送文件的审核。")
    _dated(session, incident, _local(day + timedelta(days=6), 10, 0), closed_at=True)


def _just_reported(session, users, units, today) -> None:
    """东湖区人民政府办公室, yesterday evening: a classified page photographed on a phone, reported within the hour;
    the bureau has yet to take it up."""
    day = today - timedelta(days=1)
    _report(
        session, users["officer"], units["DH-ZFB"], found=_local(day, 18, 10), reported=_local(day, 18, 55),
        kind="violation", title="用手机拍摄涉密文件", carrier="phone", level="confidential",
        involved="内部文件1页的照片", description="下班前保密员巡查时发现一名工作人员用手机拍摄涉密文件的一页。",
        persons="办公室工作人员1名", remedies="已当场删除照片并检查手机相册和云备份。")
