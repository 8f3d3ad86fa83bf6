"""What the admin's and the secadmin's account pages share: the list of accounts and the org-node choices."""

from __future__ import annotations

from flask import request

from ..extensions import db
from ..labels import ROLE_LABELS
from ..models import User
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import accounts, org


def account_listing(endpoint: str, title: str) -> dict:
    """The list of accounts in the actor's subtree, searched, filtered by role, sorted and paged."""
    query = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    sort, order = sort_order(request.args, accounts.ACCOUNT_SORTS, default="username")
    page = paginate(accounts.account_list(current_user, query=query, role=role).order_by(order, User.id))
    return {"page": page, "query": query, "role": role, "sort": sort, "roles": ROLE_LABELS, "endpoint": endpoint,
            "title": title}


def node_choices(user: User | None = None) -> list[tuple[int, str]]:
    """The active nodes of the actor's subtree (and the account's own, if inactive), indented."""
    return [(n.id, "　" * n.depth + n.name) for n in org.visible_tree(db.session, current_user)
            if n.active or (user is not None and n.id == user.org_node_id)]
