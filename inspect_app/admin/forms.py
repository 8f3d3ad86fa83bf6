from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..forms import FlagField, Form


class NodeForm(FlaskForm):
    kind = SelectField(_l("类别"), choices=[])
    parent_id = SelectField(_l("上级机构"), coerce=int, choices=[])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    code = StringField(_l("代码"), validators=[DataRequired(), Length(max=32)])
    unit_type = SelectField(_l("单位类型"), choices=[], validate_choice=False)
    is_key_unit = BooleanField(_l("保密重点单位"))


class EditNodeForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    code = StringField(_l("代码"), validators=[DataRequired(), Length(max=32)])
    unit_type = SelectField(_l("单位类型"), choices=[], validate_choice=False)
    is_key_unit = BooleanField(_l("保密重点单位"))


class MoveNodeForm(FlaskForm):
    parent_id = SelectField(_l("移到"), coerce=int, choices=[])


class ImportUnitsForm(FlaskForm):
    file = FileField(_l("单位名单（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(
        _l("电子邮箱"),
        validators=[Optional(), Length(max=120), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("电子邮箱格式不正确。"))],
    )


class NewUserForm(ProfileForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("申请角色"), choices=[])
    org_node_id = SelectField(_l("所属机构"), coerce=int, choices=[])


class RightsForm(FlaskForm):
    role = SelectField(_l("角色"), choices=[], validate_choice=False)  # services/accounts/duties.py decides
    org_node_id = SelectField(_l("所属机构"), coerce=int, choices=[])


def security_settings_form(settings) -> type[FlaskForm]:
    """A form with one whole-number field a setting, named by its config key; the service checks the bounds."""

    class SecuritySettingsForm(FlaskForm):
        pass

    for setting in settings:
        setattr(SecuritySettingsForm, setting.name, IntegerField(
            setting.label, validators=[InputRequired(message=_l("请填写一个整数。"))],
            render_kw={"min": setting.minimum, "max": setting.maximum, "inputmode": "numeric"}))
    return SecuritySettingsForm


class ResetPasswordForm(FlaskForm):
    reason = StringField(_l("重置原因"))  # required, and checked, by the service


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


class ActiveForm(Form):
    """Switch a node or an account on or off: the button pressed sends active=1, or 0 to switch it off."""

    active = FlagField()
