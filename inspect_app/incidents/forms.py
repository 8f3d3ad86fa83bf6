"""The forms of the incident pages, one per step, with the field names the pages send. The service checks what they
hold; the forms check only the shape (a date, a time, a whole number)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..forms import DayField, FlagField, Form, RevisionField, valid_day
from ..services.incidents import IncidentReport, Upload


class MomentField(StringField):
    """A date and time as the picker sends it (YYYY-MM-DDTHH:MM, the reporter's wall clock); empty reads as None."""

    @property
    def moment(self) -> datetime | None:
        text = (self.data or "").strip()
        return datetime.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None) if text else None


def valid_moment(_form, field: MomentField) -> None:
    try:
        _ = field.moment
    except ValueError:
        raise ValidationError(_l("时间格式不正确，请用日期时间选择器选择。")) from None


class _WithFiles:
    files = MultipleFileField()

    def uploads(self) -> list[Upload]:
        return [Upload(f.read(), f.filename or "") for f in self.files.data or [] if f and f.filename]


class ReportForm(_WithFiles, Form):
    unit_id = StringField()  # a bureau inspector's choice; an officer reports for their own unit
    kind = StringField()
    title = StringField()
    description = TextAreaField()
    carrier = StringField()
    level = StringField()
    quantity = StringField()
    involved = TextAreaField()
    persons = TextAreaField()
    remedies = TextAreaField()
    occurred_at = MomentField(validators=[valid_moment])
    found_at = MomentField(validators=[valid_moment])
    reported_at = MomentField(validators=[valid_moment])
    zone = StringField()
    client_uuid = StringField()  # the form's one-time id, made when the page is
    confirm_unclassified = FlagField()

    def report(self, *, bureau_entry: bool) -> IncidentReport:
        try:
            quantity = int((self.quantity.data or "").strip())
        except ValueError:
            quantity = None
        return IncidentReport(
            kind=self.kind.data, title=self.title.data, description=self.description.data,
            carrier=self.carrier.data, level=self.level.data, quantity=quantity, involved=self.involved.data,
            persons=self.persons.data, remedies=self.remedies.data, found_at=self.found_at.moment,
            occurred_at=self.occurred_at.moment, reported_at=self.reported_at.moment if bureau_entry else None,
            zone=self.zone.data)


class UnitReportForm(_WithFiles, Form):
    remedies = TextAreaField()
    note = TextAreaField()
    confirm_unclassified = FlagField()


class SupplementForm(_WithFiles, Form):
    body = TextAreaField()
    confirm_unclassified = FlagField()


class InvestigateForm(Form):
    note = TextAreaField()
    target_date = DayField(validators=[valid_day])
    revision = RevisionField()
    confirm_unclassified = FlagField()


class NoteForm(_WithFiles, Form):
    body = TextAreaField()
    confirm_unclassified = FlagField()


class DetermineForm(Form):
    determination = StringField()
    reason = TextAreaField()
    revision = RevisionField()
    confirm_unclassified = FlagField()


class HandleForm(Form):
    discipline = TextAreaField()
    requirement = TextAreaField()
    due_date = DayField(validators=[valid_day])
    severity = StringField()
    revision = RevisionField()
    confirm_unclassified = FlagField()


class CloseForm(Form):
    summary = TextAreaField()
    revision = RevisionField()
    confirm_unclassified = FlagField()


class FollowUpForm(Form):
    scheduled_on = DayField(validators=[valid_day])


class BulletinForm(Form):
    named = FlagField()
    summary = TextAreaField()
    confirm_unclassified = FlagField()
