"""The forms on a ticket's page, one per action, with the field names the page sends. The service checks what
they hold; the forms check only the shape (a date, the decision)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf

from ..forms import DayField, FlagField, Form, RevisionField, valid_day
from ..services.rectification import Upload


class _WithFiles:
    files = MultipleFileField()

    def uploads(self) -> list[Upload]:
        return [Upload(f.read(), f.filename or "") for f in self.files.data or [] if f and f.filename]


class RespondForm(_WithFiles, Form):
    action = HiddenField()  # "draft" keeps the answer without sending it
    measures = TextAreaField()
    responsible = StringField()
    completed_on = DayField(validators=[valid_day])
    revision = RevisionField()
    confirm_unclassified = FlagField()

    @property
    def is_draft(self) -> bool:
        return self.action.data == "draft"


class ExtensionForm(Form):
    until = DayField(validators=[valid_day])
    reason = TextAreaField()
    confirm_unclassified = FlagField()


class DecideExtensionForm(Form):
    decision = StringField(validators=[AnyOf(("grant", "refuse"), message=_l("请选择同意或不同意。"))])
    decision_reason = TextAreaField()
    new_due_date = DayField()  # read only when the extension is granted

    @property
    def grant(self) -> bool:
        return self.decision.data == "grant"

    def validate_new_due_date(self, field: DayField) -> None:
        if self.grant:
            valid_day(self, field)


class AcceptForm(Form):
    note = TextAreaField()
    revision = RevisionField()
    confirm_unclassified = FlagField()


class ReturnForm(Form):
    reason = TextAreaField()
    new_due_date = DayField(validators=[valid_day])
    revision = RevisionField()
    confirm_unclassified = FlagField()


class RecheckForm(_WithFiles, Form):
    note = TextAreaField()
    confirm_unclassified = FlagField()


class CancelForm(Form):
    reason = TextAreaField()


class CommentForm(Form):
    body = TextAreaField()
    confirm_unclassified = FlagField()
