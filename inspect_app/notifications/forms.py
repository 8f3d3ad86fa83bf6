from wtforms import HiddenField

from ..forms import Form


class MarkReadForm(Form):
    next = HiddenField()  # the page to return to, when it is one of ours
