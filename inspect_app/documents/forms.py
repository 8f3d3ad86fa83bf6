from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyFileForm(FlaskForm):
    file = FileField(_l("PDF 文件"), validators=[FileRequired(_l("请选择文件。"))])
