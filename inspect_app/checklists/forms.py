from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..forms import FlagField, Form


class UploadTemplateForm(FlaskForm):
    file = FileField(_l("检查表文件（.yaml）"), validators=[FileRequired(_l("请选择文件。"))])


class VersionStatusForm(Form):
    """Retire a version (retired=1) or bring it back into use (retired=0)."""

    retired = FlagField()
