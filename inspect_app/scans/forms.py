from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf

from ..forms import FlagField, Form


class ScanUploadForm(FlaskForm):
    file = FileField(_l("扫描结果文件（.json 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])
    confirm_unclassified = FlagField(_l("我确认文件中的文字不含国家秘密"))


class DecisionForm(Form):
    """Confirm a proposed 不符合 (with the finding text as the inspector leaves it) or reject it with a reason; the
    service checks the rest."""

    decision = StringField(validators=[AnyOf(["confirm", "reject"], message=_l("请选择确认或驳回。"))])
    finding_text = TextAreaField(_l("问题描述"))
    reason = StringField(_l("驳回理由"))
    confirm_unclassified = FlagField(_l("我确认这段文字不含国家秘密"))
