from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class VerifyForm(FlaskForm):
    # The "sequence:hash" line of a head exported earlier (or the whole file pasted); optional.
    head = StringField(_l("已导出的链头（可选）"), validators=[Optional(), Length(max=1000)])
