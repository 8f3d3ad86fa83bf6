"""The forms of the appraisal's pages, one per action. The services check what they hold; the forms check only the
shape (a choice among those offered, a number)."""

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from ..forms import FlagField, Form, RevisionField


class NewRoundForm(Form):
    year = SelectField(_l("考核年度"), coerce=int, validate_choice=True)
    area_id = SelectField(_l("考核范围"), coerce=int, validate_choice=True)
    scheme_id = SelectField(_l("考核方案"), coerce=int, validate_choice=True)


class ComputeForm(Form):
    """Compute a draft round again: the button alone."""


class ApproveForm(Form):
    revision = RevisionField()


class ValueForm(Form):
    indicator = StringField()
    value = DecimalField(validators=[InputRequired(_l("请填写分值。")),
                                     NumberRange(0, 100, _l("分值应在 0 到 100 之间。"))], places=1)
    reason = TextAreaField()
    confirm_unclassified = FlagField()


class AdjustmentForm(Form):
    points = DecimalField(validators=[InputRequired(_l("请填写加减分。"))], places=1)
    reason = TextAreaField()
    confirm_unclassified = FlagField()


class RemoveAdjustmentForm(Form):
    adjustment_id = HiddenField()
