"""Links from the lists to the pages of other areas (an inspection, a ticket), by their stable paths.

The design fixes `/inspections/<id>` and `/tickets/<id>`; those pages belong to other areas. A row links to one
only when this app serves the path, so a list never offers a dead link.
"""

from __future__ import annotations

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

PATHS = {"inspection": "/inspections/{id}", "ticket": "/tickets/{id}", "notice": "/notices/{id}"}


def _served(kind: str) -> bool:
    known = current_app.extensions.setdefault("dashboard.served_paths", {})
    if kind not in known:
        adapter = current_app.url_map.bind("localhost")
        try:
            endpoint, _args = adapter.match(PATHS[kind].format(id=1), method="GET")
            known[kind] = endpoint != "static"
        except RequestRedirect:
            known[kind] = True
        except HTTPException:
            known[kind] = False
    return known[kind]


def detail_url(kind: str, object_id: int) -> str | None:
    return PATHS[kind].format(id=object_id) if _served(kind) else None


def district_label(node) -> str:
    """A unit's district as a column shows it: the district's short name, or 市直单位 under the city bureau."""
    from flask_babel import gettext as _

    if node is None:
        return ""
    if node.kind == "bureau":
        return _("市直单位")
    return node.name.removesuffix("国家保密局")
