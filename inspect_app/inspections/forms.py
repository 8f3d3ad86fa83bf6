import base64
import binascii

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import FlagField, Form
from ..ids import parse_id
from ..services import DomainError
from ..services.inspections import AnswerInput, SignatureInput


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


class AnswerForm(Form):
    """One answer sent by the plain form (the page's script sends the same through the API); the service checks
    it."""

    client_uuid = HiddenField()
    base_revision = HiddenField()
    value = StringField()
    note = TextAreaField()
    finding_text = TextAreaField()
    severity = StringField()
    na_reason = StringField()
    confirm_unclassified = FlagField()

    def answer(self, item_id: int) -> AnswerInput:
        return AnswerInput(
            item_id=item_id, client_uuid=self.client_uuid.data or "",
            base_revision=parse_id(self.base_revision.data) or 0, value=self.value.data, note=self.note.data,
            finding_text=self.finding_text.data, severity=self.severity.data, na_reason=self.na_reason.data,
            confirm_unclassified=self.confirm_unclassified.data,
        )


class FindingReviewForm(Form):
    """One change to one finding before the notice (action = edit | merge | drop | restore); the service checks it."""

    action = HiddenField()
    description = TextAreaField()
    severity = StringField()
    confirm_unclassified = FlagField()
    into = StringField()  # the id of the finding to merge into
    reason = StringField()  # why it is dropped


class SignForm(Form):
    """The lead inspector's and the unit representative's names and signatures, drawn on the tablet."""

    lead_name = StringField()
    lead_signature = HiddenField()  # a data: URL of the PNG the signature pad drew
    unit_name = StringField()
    unit_signature = HiddenField()

    def signatures(self) -> list[SignatureInput]:
        return [SignatureInput(role, self[f"{role}_name"].data or "", _png(self[f"{role}_signature"].data or ""))
                for role in ("lead", "unit")]


def _png(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise DomainError(_("请在签名框内签名。"), field="signatures")
    try:
        return base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(_("签名数据无效，请重新签名。"), field="signatures") from None
