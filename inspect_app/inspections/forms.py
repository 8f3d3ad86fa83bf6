from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class PlanForm(FlaskForm):
    unit_id = SelectField(_l("被检查单位"), coerce=int, choices=[])
    kind = SelectField(_l("检查类型"), choices=[])
    versions = SelectMultipleField(_l("检查表"), coerce=int, choices=[],
                                   validators=[DataRequired(_l("请至少选择一份检查表。"))])
    scheduled_on = DateField(_l("计划日期"), validators=[DataRequired(_l("请填写计划日期。"))])
    lead_id = SelectField(_l("组长"), coerce=int, choices=[])
    member_ids = SelectMultipleField(_l("组员"), coerce=int, choices=[])
    title = StringField(_l("名称"), validators=[Optional(), Length(max=200)])
    scope = TextAreaField(_l("检查范围与重点"), validators=[Optional(), Length(max=2000)])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=1000)])


class ImportPlanForm(FlaskForm):
    file = FileField(_l("年度检查计划（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])
