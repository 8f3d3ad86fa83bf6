from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class LanguageForm(FlaskForm):
    lang = StringField()  # the button pressed: one of the configured languages, anything else is ignored
    next = HiddenField()  # the page to return to, when it is one of ours
