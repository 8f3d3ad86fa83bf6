from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import DayField, valid_day


class IssueForm(FlaskForm):
    """A token for a named client; the service checks the name, the scope and the permissions together."""

    name = StringField(_l("客户端名称"), validators=[DataRequired(_l("请填写客户端名称。")), Length(max=48)])
    scope_id = SelectField(_l("范围"), coerce=int, choices=[])
    permissions = SelectMultipleField(_l("权限"), choices=[], option_widget=CheckboxInput(),
                                      widget=ListWidget(prefix_label=False))
    expires_on = DayField(_l("有效期至"), validators=[valid_day])


class RevokeForm(FlaskForm):
    reason = StringField(_l("吊销原因"), validators=[DataRequired(_l("请填写吊销原因。")), Length(max=500)])
