from flask_wtf import FlaskForm
from wtforms import HiddenField


class MarkReadForm(FlaskForm):
    next = HiddenField()  # the page to return to, when it is one of ours
