"""Incidents (泄密事件) and cases (案件): rules and the 24-hour clock (rules.py), reporting, the case to its close
(cases.py), one incident's page (view.py), lists and figures, reminders, and the documents' data (documents.py)."""

from .cases import (
    add_note,
    case_ticket,
    close,
    determine,
    draw_up_bulletin,
    handle,
    plan_follow_up,
    start_investigation,
)
from .documents import (
    case_bulletin_data,
    check_case_bulletin,
    check_incident_report,
    incident_report_data,
    summary_section,
)
from .lists import IncidentFigures, IncidentFilter, count, figures, incidents_query, sorts
from .reminders import ReminderReport, send_reminders
from .reporting import IncidentReport, file_unit_report, person_names_allowed, report_incident, supplement
from .rules import (
    ReportClock,
    Upload,
    in_zone,
    is_handler,
    is_unit_officer,
    refusal,
    report_clock,
    report_due,
    to_utc,
    zone_named,
)
from .view import IncidentView, incident_view, sees_internal, shows_file

__all__ = [
    "IncidentFigures", "IncidentFilter", "IncidentReport", "IncidentView", "ReminderReport", "ReportClock", "Upload",
    "add_note", "case_bulletin_data", "case_ticket", "check_case_bulletin", "check_incident_report", "close",
    "count", "determine", "draw_up_bulletin", "figures", "file_unit_report", "handle",
    "in_zone", "incident_report_data", "incident_view", "incidents_query", "is_handler", "is_unit_officer",
    "person_names_allowed", "plan_follow_up", "refusal", "report_clock", "report_due", "report_incident",
    "sees_internal", "send_reminders", "shows_file", "sorts", "start_investigation", "summary_section", "supplement",
    "to_utc",
    "zone_named",
]
