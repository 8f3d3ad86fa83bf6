"""The registers' forms: an entry's, made from its register's fields (the service reads the values), an import's,
and removing an entry."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField

from ..forms import DayField, FlagField, Form, RevisionField, valid_day
from ..services.registers import Register
from ..services.registers.kinds import CHOICE, DAY, FLAG, LONG, MAYBE, Field


def _choices(field: Field):
    if field.kind == FLAG:
        return lambda: [("", ""), ("yes", str(_l("是"))), ("no", str(_l("否")))]
    if field.kind == MAYBE:
        return lambda: [("", str(_l("不适用"))), ("yes", str(_l("是"))), ("no", str(_l("否")))]
    return lambda: [("", ""), *((key, str(label)) for key, label in field.choices.items())]


def _form_field(field: Field):
    if field.kind == DAY:
        return DayField(field.heading, validators=[valid_day])
    if field.kind in (CHOICE, FLAG, MAYBE):
        return SelectField(field.heading, choices=_choices(field))
    if field.kind == LONG:
        return TextAreaField(field.heading)
    return StringField(field.heading)


def entry_form(register: Register, **kwargs) -> Form:
    """The form of one entry of `register`: a field for each of its fields (the shape only: a date, one of the
    choices), the record's revision, and the confirmation that text flagged as classified is not."""

    class EntryForm(Form):
        revision = RevisionField()
        confirm_unclassified = FlagField()

    for field in register.fields:
        setattr(EntryForm, field.name, _form_field(field))
    return EntryForm(**kwargs)


def entry_text(form: Form, register: Register) -> dict[str, str]:
    """The text sent in each of the register's fields, as the service reads it."""
    return {field.name: form[field.name].data or "" for field in register.fields}


def form_data(register: Register, entry) -> dict[str, str]:
    """An entry's values as its form shows them."""
    data = {}
    for field in register.fields:
        value = getattr(entry, field.name)
        if field.kind in (FLAG, MAYBE):
            data[field.name] = "" if value is None else "yes" if value else "no"
        elif field.kind == DAY:
            data[field.name] = value.isoformat() if value else ""
        else:
            data[field.name] = "" if value is None else str(value)
    return data


class ImportForm(Form):
    file = FileField(_l("台账文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要导入的文件。"))])
    confirm_unclassified = FlagField()


class RemoveForm(Form):
    revision = RevisionField()
