"""Incidents (泄密事件) and their cases: the list, the report form, one incident with its case, and each step of the
case. Thin: each route loads through authz and calls one service in services/incidents/; the forms are in forms.py;
the documents' download routes are the documents blueprint's."""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import authz, clock
from ..downloads import send_attachment
from ..extensions import db
from ..forms import act
from ..ids import parse_id
from ..models import Attachment, Incident, OrgNode, Role, utcnow
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import DomainError, dashboard, incidents
from ..services.rectification import lists as ticket_lists
from . import bp
from .forms import (
    BulletinForm,
    CloseForm,
    DetermineForm,
    FollowUpForm,
    HandleForm,
    InvestigateForm,
    NoteForm,
    ReportForm,
    SupplementForm,
    UnitReportForm,
)

# The zones a reporter picks from (the browser adds its own when it is another); any IANA name is accepted.
ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Singapore", "Europe/Moscow",
         "Europe/Berlin", "Europe/London", "UTC", "America/New_York", "America/Los_Angeles", "Australia/Sydney")


def _user():
    return current_user._get_current_object()


# The list ---------------------------------------------------------------------------------------------------


@bp.route("/incidents")
@authz.requires("incidents.view")
def index():
    user, today, now = _user(), clock.local_today(), utcnow()
    flt = incidents.IncidentFilter.from_args(request.args)
    sort, order = sort_order(request.args, incidents.sorts(), "-found")
    stmt = incidents.incidents_query(user, flt, today=today, now=now).order_by(order, Incident.id.desc())
    page = paginate(stmt)
    return render_template("incidents/index.html", page=page, flt=flt, sort=sort, today=today, now=now,
                           units=ticket_lists.unit_choices(db.session, user),
                           districts=dashboard.district_choices(db.session, user), clock_of=incidents.report_clock)


# Reporting ----------------------------------------------------------------------------------------------------


def _new_page(form: ReportForm, error: DomainError | None = None, status: int = 200):
    user = _user()
    units = [] if user.role == Role.OFFICER else ticket_lists.unit_choices(db.session, user)
    return render_template("incidents/new.html", form=form, error=error, units=units, zones=ZONES,
                           client_uuid=form.client_uuid.data or str(uuid.uuid4()),
                           bureau_zone=str(clock.timezone()), names_allowed=incidents.person_names_allowed(),
                           upload_limit=int(current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))), status


@bp.route("/incidents/new", methods=["GET", "POST"])
@authz.requires("incidents.report")
def new():
    user, form = _user(), ReportForm()
    if request.method == "GET":
        return _new_page(form)
    try:
        form.check()
        officer = user.role == Role.OFFICER
        unit = user.org_node if officer else _unit_in_scope(form.unit_id.data)
        incident = incidents.report_incident(db.session, user, unit, form.report(bureau_entry=not officer),
                                             form.uploads(), confirm_unclassified=form.confirm_unclassified.data,
                                             client_uuid=form.client_uuid.data)
    except DomainError as exc:
        db.session.rollback()
        return _new_page(form, exc, exc.status_code)
    flash(_("事件已报告，保密局已收到。") if user.role == Role.OFFICER else _("事件已登记。"), "success")
    return redirect(url_for("incidents.show", incident_id=incident.id))


def _unit_in_scope(value: str | None) -> OrgNode:
    """The unit an inspector chose, through their scope: one they may not see reads as no choice at all."""
    unit_id = parse_id(value)
    unit = db.session.scalar(authz.visible(_user(), OrgNode).where(OrgNode.id == unit_id)) if unit_id else None
    if unit is None:
        raise DomainError(_("请选择事发单位。"), field="unit_id")
    return unit


# One incident -----------------------------------------------------------------------------------------------


def _page(incident: Incident, *, form: str | None = None, error: DomainError | None = None, status: int = 200,
          values: dict | None = None):
    view = incidents.incident_view(db.session, _user(), incident)
    return render_template(
        "incidents/show.html", incident=incident, view=view, today=clock.local_today(), form=form, error=error,
        values=values or {}, names_allowed=incidents.person_names_allowed(),
        upload_limit=int(current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))), status


@bp.route("/incidents/<int:incident_id>")
@authz.loads(Incident, "incident_id", "incidents.view")
def show(incident: Incident):
    return _page(incident)


def _act(incident: Incident, name: str, form, action, success: str, anchor: str = "timeline"):
    return act(incident, name, form, action, success, page=_page,
               to=url_for("incidents.show", incident_id=incident.id, _anchor=anchor))


@bp.route("/incidents/<int:incident_id>/unit-report", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.report")
def unit_report(incident: Incident):
    form = UnitReportForm()
    return _act(incident, "unit_report", form, lambda: incidents.file_unit_report(
        db.session, _user(), incident, remedies=form.remedies.data, note=form.note.data, uploads=form.uploads(),
        confirm_unclassified=form.confirm_unclassified.data), _("事件报告已报送。"))


@bp.route("/incidents/<int:incident_id>/supplement", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.report")
def supplement(incident: Incident):
    form = SupplementForm()
    return _act(incident, "supplement", form, lambda: incidents.supplement(
        db.session, _user(), incident, body=form.body.data, uploads=form.uploads(),
        confirm_unclassified=form.confirm_unclassified.data), _("补充情况已报送。"))


@bp.route("/incidents/<int:incident_id>/investigate", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def investigate(incident: Incident):
    form = InvestigateForm()
    return _act(incident, "investigate", form, lambda: incidents.start_investigation(
        db.session, _user(), incident, note=form.note.data, target_date=form.target_date.day,
        revision=form.revision.revision, confirm_unclassified=form.confirm_unclassified.data),
        _("已立案调查，您是本案承办人。"))


@bp.route("/incidents/<int:incident_id>/notes", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def note(incident: Incident):
    form = NoteForm()
    return _act(incident, "note", form, lambda: incidents.add_note(
        db.session, _user(), incident, body=form.body.data, uploads=form.uploads(),
        confirm_unclassified=form.confirm_unclassified.data), _("调查情况已记录。"))


@bp.route("/incidents/<int:incident_id>/determine", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def determine(incident: Incident):
    form = DetermineForm()
    return _act(incident, "determine", form, lambda: incidents.determine(
        db.session, _user(), incident, determination=form.determination.data, reason=form.reason.data,
        revision=form.revision.revision, confirm_unclassified=form.confirm_unclassified.data), _("已作出认定。"))


@bp.route("/incidents/<int:incident_id>/handle", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def handle(incident: Incident):
    form = HandleForm()
    return _act(incident, "handle", form, lambda: incidents.handle(
        db.session, _user(), incident, discipline=form.discipline.data, requirement=form.requirement.data,
        due_date=form.due_date.day, severity=form.severity.data or None, revision=form.revision.revision,
        confirm_unclassified=form.confirm_unclassified.data), _("处理意见已提出。"))


@bp.route("/incidents/<int:incident_id>/close", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def close(incident: Incident):
    form = CloseForm()
    return _act(incident, "close", form, lambda: incidents.close(
        db.session, _user(), incident, summary=form.summary.data, revision=form.revision.revision,
        confirm_unclassified=form.confirm_unclassified.data), _("案件已结案。"))


@bp.route("/incidents/<int:incident_id>/follow-up", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def follow_up(incident: Incident):
    form = FollowUpForm()
    return _act(incident, "follow_up", form, lambda: incidents.plan_follow_up(
        db.session, _user(), incident, scheduled_on=form.scheduled_on.day), _("已安排后续专项检查。"))


@bp.route("/incidents/<int:incident_id>/bulletin", methods=["POST"])
@authz.loads(Incident, "incident_id", "incidents.handle")
def bulletin(incident: Incident):
    form = BulletinForm()
    return _act(incident, "bulletin", form, lambda: incidents.draw_up_bulletin(
        db.session, _user(), incident, named=form.named.data, summary=form.summary.data,
        confirm_unclassified=form.confirm_unclassified.data), _("案件通报已起草。"), "bulletin")


@bp.route("/incidents/<int:incident_id>/files/<int:attachment_id>")
@authz.loads(Incident, "incident_id", "incidents.view")
@authz.loads(Attachment, "attachment_id", "incidents.view")
def file(incident: Incident, attachment: Attachment):
    """The case's files, only through the case, and the investigation's records to the bureau's side only."""
    if not incidents.shows_file(db.session, _user(), incident, attachment):
        raise NotFound()
    return send_attachment(attachment, thumbnail=request.args.get("size") == "thumb" and attachment.is_image)
