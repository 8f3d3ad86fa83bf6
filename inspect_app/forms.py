"""What the areas' forms share: the base of a form whose content a service checks, and fields for what the
pages send as plain text (a date, a record's revision, a "1" that turns something on)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from .extensions import db
from .services import DomainError

DAY_MESSAGE = _l("日期格式不正确，请用日期选择器选择。")


class Form(FlaskForm):
    """A page's form whose content the service checks. It reads the posted fields only (a JSON body is the API's);
    validating checks only their shape (a date, a choice), and `check` refuses the first problem the way a service
    refuses, as a DomainError naming its field."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            # A JSON body read as fields would hand them lists and numbers where the service expects text.
            if request.is_json and not (request.form or request.files):
                return None
            return super().wrap_formdata(form, formdata)

    def check(self) -> None:
        if not self.validate():
            field = next(f for f in self if f.errors)
            raise DomainError(str(field.errors[0]), field=field.name)

    def submitted(self) -> dict[str, str]:
        """The text sent in each field, to show the form again as the user left it."""
        return {f.name: f.raw_data[0] for f in self
                if f.name != "csrf_token" and f.raw_data and isinstance(f.raw_data[0], str)}


def act(record, name: str, form: Form, action, success: str, *, page, to: str):
    """Check the form's shape, then run one service call. On a refusal, roll back and show `page(record)` again
    with the reason beside the form `name` and the user's input kept; else say `success` and go to `to`."""
    try:
        form.check()
        action()
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(record)
        return page(record, form=name, error=exc, status=exc.status_code, values=form.submitted())
    flash(success, "success")
    return redirect(to)


class FlagField(BooleanField):
    """A checkbox, or a button, whose value is "1": on only when exactly that is sent."""

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] == "1"


class DayField(StringField):
    """A date as the date picker sends it (YYYY-MM-DD); empty reads as None. Check it with `valid_day`."""

    @property
    def day(self) -> date | None:
        text = (self.data or "").strip()
        return date.fromisoformat(text) if text else None


def valid_day(_form, field: DayField) -> None:
    try:
        _ = field.day
    except ValueError:
        raise ValidationError(DAY_MESSAGE) from None


class RevisionField(StringField):
    """The revision of the record the page was made from, sent back to refuse a stale form."""

    @property
    def revision(self) -> int | None:
        if self.data is None:
            return None
        try:
            return int(self.data)
        except ValueError:
            return -1  # a mangled form is as stale as an old one
