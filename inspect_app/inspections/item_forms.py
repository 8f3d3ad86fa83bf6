"""The fill page's item forms, each rendered once per state of its answer and kept, so a page of 60 items
renders only the items whose answer, photos or repeat hint changed since it was last shown.

A form carries the page's CSRF token and a fresh write id (client_uuid); they are left as marks in the kept
HTML and filled in for every page. Items never change once synced; a form is kept by everything else it shows.
"""

from __future__ import annotations

import uuid

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from ..kept import Kept
from . import bp

CSRF_MARK, UUID_MARK = "\x00csrf\x00", "\x00uuid\x00"
FORMS = Kept(limit=4000)  # forms kept per process: about 14 MB at 3.5 KB each


@bp.app_template_global()
def item_form(item, *, answers, suggestions, severities, photos, words, fragments, csrf, save_url,
              photo_url) -> Markup:
    answer = answers.get(item.id)
    repeat = suggestions.get(item.id)
    shown = photos.get(item.id, [])
    # Everything the form shows: the answer by its fields, not its id alone (ids come back after a restore).
    shown_answer = (answer.revision, answer.value, answer.note, answer.finding_text, answer.severity,
                    answer.na_reason) if answer else None
    key = (str(get_locale()), save_url, photo_url, item.id, shown_answer, severities[item.id],
           repeat.created_at if repeat else None, tuple(p.id for p in shown))
    html = FORMS.get(key, lambda: render_template(
        "inspections/_item.html", item=item, answers=answers, suggestions=suggestions, severities=severities,
        photos=photos, words=words, fragments=fragments, csrf=CSRF_MARK, new_uuid=lambda: UUID_MARK,
        save_url=save_url, photo_url=photo_url))
    return Markup(html.replace(CSRF_MARK, csrf).replace(UUID_MARK, str(uuid.uuid4())))
