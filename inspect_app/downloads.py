"""A stored attachment sent to the browser, once a route has loaded it through `authz` and its own record."""

from __future__ import annotations

from flask import Response, send_file
from werkzeug.exceptions import NotFound

from .models import Attachment
from .services import attachments


def send_attachment(attachment: Attachment, *, thumbnail: bool = False) -> Response:
    """The file (or an image's thumbnail), opened through the attachments' reader (a sealed file decrypted); 404
    when it is missing or unreadable. Images show in the page, other files download."""
    try:
        stored = attachments.open_stored(attachment.sha256, thumbnail=thumbnail)
    except (OSError, ValueError):
        raise NotFound() from None
    response = send_file(stored, mimetype="image/jpeg" if thumbnail else attachment.mime,
                         as_attachment=not attachment.is_image, download_name=attachment.filename,
                         conditional=True, max_age=0)
    # Never kept by the browser: on a shared tablet the next user would find the unit's files in its cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response
