from wtforms import HiddenField, StringField

from ..forms import Form


class LanguageForm(Form):
    lang = StringField()  # the button pressed: one of the configured languages, anything else is ignored
    next = HiddenField()  # the page to return to, when it is one of ours
