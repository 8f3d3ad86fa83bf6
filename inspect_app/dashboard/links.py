"""How the dashboard's and the units' lists name a unit's district."""

from __future__ import annotations


def district_label(node) -> str:
    """A unit's district as a column shows it: the district's short name, or 市直单位 under the city bureau."""
    from flask_babel import gettext as _

    if node is None:
        return ""
    if node.kind == "bureau":
        return _("市直单位")
    return node.name.removesuffix("国家保密局")
