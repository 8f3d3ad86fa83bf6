"""The one scoping layer: what each user may see and do.

A bureau-side user (inspector, leader) sees the units in the subtree of the org node they belong to;
an officer sees their own unit only; the admin manages the org tree and accounts, and the secadmin the
accounts' rights, of their subtree, and neither sees any unit's work; the auditor sees the audit trail only
(services/accounts/duties.py has who may do what to whose account). Every route that loads a unit-owned object
loads it here: an object outside the caller's scope answers 404, exactly as one that does not exist. A machine
client (an API token's account, role `client`) is scoped like a person, by the org node of its token's scope; what
it may do is what its token's permissions grant (TOKEN_PERMISSIONS), checked here like a role's rules.

Every view carries its gate from here: `@requires(action)` for a page without an object (403 for a role that may
not), `@loads(Model, "model_id", action)` for one with an object (load it through the caller's scope: 404 outside;
check the action on it: 403; hand it to the view). Views reachable without logging in are `security.public`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g
from sqlalchemy import ColumnElement, Select, and_, exists, false, select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import Forbidden, NotFound

from .extensions import db
from .ids import parse_id
from .models import ApiToken, AppraisalRound, NodeKind, Notification, OrgNode, Role, RoundStatus, User

T = TypeVar("T")

UNIT_WORK_ROLES = (Role.INSPECTOR, Role.LEADER, Role.OFFICER, Role.CLIENT)
# The roles that manage the org tree's nodes or accounts, each in the subtree of the node they belong to.
ACCOUNT_ROLES = (Role.ADMIN, Role.SECADMIN)


def scope_node(user: User) -> OrgNode | None:
    """The node whose subtree bounds what `user` sees of units' work; None when they see none."""
    return user.org_node if user.role in UNIT_WORK_ROLES else None


def unit_in_scope(user: User, unit: Any = OrgNode) -> ColumnElement[bool]:
    """The condition on `unit` (`OrgNode` or an alias of it) that holds for the units whose objects `user` may see:
    for a query over the units themselves, which then need no second pass over the org tree to be scoped."""
    node = scope_node(user)
    if node is None:
        return false()
    if user.role == Role.OFFICER:
        return unit.id == node.id
    return and_(unit.kind == NodeKind.UNIT, unit.path.startswith(node.path))


def visible_unit_ids(user: User) -> Select:
    """A select of the ids of the units whose objects `user` may see."""
    return select(OrgNode.id).where(unit_in_scope(user))


def visible_nodes(user: User) -> Select:
    """A select of the org nodes `user` may see in the tree (admins: the tree they manage)."""
    if user.role in ACCOUNT_ROLES:
        return select(OrgNode).where(OrgNode.path.startswith(user.org_node.path))
    node = scope_node(user)
    if node is None:
        return select(OrgNode).where(false())
    if user.role == Role.OFFICER:
        return select(OrgNode).where(OrgNode.id == node.id)
    return select(OrgNode).where(OrgNode.path.startswith(node.path))


def visible_accounts(user: User) -> Select:
    """A select of the accounts `user` manages (joined to their org node): those of the subtree an admin or a
    secadmin belongs to; nobody else's. Machine clients' accounts are managed with their tokens, not here."""
    stmt = select(User).join(User.org_node).where(User.role != Role.CLIENT)
    if user.role not in ACCOUNT_ROLES:
        return stmt.where(false())
    return stmt.where(OrgNode.path.startswith(user.org_node.path))


def visible_rounds(user: User) -> Select:
    """A select of the appraisal rounds `user` may load: a bureau-side reader's, of areas within their subtree; an
    officer's, the approved rounds of an area holding their unit (they read their own unit's result only: results
    are unit-owned)."""
    node = scope_node(user)
    if node is None:
        return select(AppraisalRound).where(false())
    if user.role == Role.OFFICER:
        ancestors = [int(part) for part in node.path.strip("/").split("/") if part]
        return select(AppraisalRound).where(AppraisalRound.area_id.in_(ancestors),
                                            AppraisalRound.status == RoundStatus.APPROVED)
    return (select(AppraisalRound).join(OrgNode, AppraisalRound.area_id == OrgNode.id)
            .where(OrgNode.path.startswith(node.path)))


def visible_tokens(user: User) -> Select:
    """A select of the API tokens `user` may manage: those scoped inside the subtree a secadmin belongs to."""
    stmt = select(ApiToken).join(ApiToken.account).join(User.org_node)
    if not can(user, "tokens.manage"):
        return stmt.where(false())
    return stmt.where(OrgNode.path.startswith(user.org_node.path))


def speaks_for_unit(user: User) -> bool:
    """Whether `user` stands on a unit's side: its secrecy officer, or a machine client scoped to the unit."""
    return user.role == Role.OFFICER or (user.role == Role.CLIENT and user.org_node.kind == NodeKind.UNIT)


# One alias for every scope check: SQLAlchemy works out an alias's columns once, where a new one per query costs
# about a third of a millisecond.
_SCOPE_UNIT = aliased(OrgNode, name="scope_unit")


def unit_visible(user: User, unit_id: Any) -> ColumnElement[bool]:
    """The condition that `unit_id` (a column) names a unit whose objects `user` may see.

    A correlated EXISTS, not IN over the scope's ids: each row's unit is looked up by its key rather than every
    unit of a city listed first (SQLite builds that list in full before it reads a row)."""
    if user.role == Role.OFFICER:  # their own unit: an equality the unit index serves
        return unit_id == user.org_node_id
    return exists().where(_SCOPE_UNIT.id == unit_id, unit_in_scope(user, _SCOPE_UNIT))


def scoped(stmt: Select, model: Any, user: User) -> Select:
    """Restrict a select over a unit-owned model to the units `user` sees."""
    return stmt.where(unit_visible(user, model.unit_id))


def visible(user: User, model: type[T]) -> Select:
    """A select of the rows of `model` that `user` may load: org nodes and accounts of the tree they see or
    manage, their own notifications, and the unit-owned rows of the units they see."""
    if model is OrgNode:
        return visible_nodes(user)
    if model is User:
        return visible_accounts(user)
    if model is Notification:
        return select(Notification).where(Notification.user_id == user.id)
    if model is AppraisalRound:
        return visible_rounds(user)
    if model is ApiToken:
        return visible_tokens(user)
    return scoped(select(model), model, user)


def get_or_404(user: User, model: type[T], object_id: Any) -> T:
    """Load an object by id through the user's scope; 404 when absent or out of scope."""
    object_id = parse_id(object_id)
    if object_id is None:
        raise NotFound()
    obj = db.session.scalar(visible(user, model).where(model.id == object_id))
    if obj is None:
        raise NotFound()
    return obj


def in_scope(user: User, obj: Any) -> bool:
    """True when a unit-owned object (or an org node, or an appraisal round) lies inside what `user` sees."""
    if isinstance(obj, AppraisalRound):
        return db.session.scalar(visible_rounds(user).where(AppraisalRound.id == obj.id)) is not None
    if isinstance(obj, OrgNode):
        node = obj
    else:
        unit_id = getattr(obj, "unit_id", None)
        if unit_id is None:
            return False
        node = db.session.get(OrgNode, unit_id)
        if node is None:
            return False
    if user.role in ACCOUNT_ROLES:
        return user.org_node.contains(node)
    own = scope_node(user)
    if own is None:
        return False
    if user.role == Role.OFFICER:
        return node.id == own.id
    return own.contains(node)


def can_see_document(user: User, document: Any) -> bool:
    """Whether `user` may see a rendered document (or a job rendering one): one of a unit's, when its unit
    lies in their scope; a period summary of a bureau's area, when a bureau-side reader's subtree holds it."""
    if not can(user, "documents.view"):
        return False
    if document.unit_id is not None:
        unit = db.session.get(OrgNode, document.unit_id)
        return unit is not None and in_scope(user, unit)
    if document.scope_node_id is not None and user.role != Role.OFFICER:
        area, own = db.session.get(OrgNode, document.scope_node_id), scope_node(user)
        return area is not None and own is not None and own.contains(area)
    return False


# What each role may do. An object, when given, must also lie in the user's scope.
_Rule = Callable[[User, Any], bool]


def _roles(*roles: str) -> _Rule:
    return lambda user, _obj: user.role in roles


def _anyone(_user: User, _obj: Any) -> bool:
    return True


RULES: dict[str, _Rule] = {
    # Any signed-in user: their own home, password and session, and pages whose loader answers 404 for what they
    # may not see (a document by its id or code).
    "signed_in": _anyone,
    "notifications.read": _anyone,  # the reader's own, loaded by their user id
    "org.manage": _roles(Role.ADMIN),
    "user.manage": _roles(Role.ADMIN),
    "rights.manage": _roles(Role.SECADMIN),
    "audit.read": _roles(Role.AUDITOR),
    "dashboard.view": _roles(Role.LEADER, Role.INSPECTOR),
    "dashboard.unit": _roles(Role.OFFICER),  # an officer's dashboard: their own unit's figures
    "units.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "inspection.view": _roles(Role.INSPECTOR, Role.LEADER, Role.OFFICER),
    "inspection.plan": _roles(Role.INSPECTOR, Role.OFFICER),
    "inspection.import": _roles(Role.INSPECTOR),  # the annual plan, from a spreadsheet
    # The library is not unit-owned: everyone who works with checklists reads it; the auditor does not.
    "checklist.read": _roles(Role.ADMIN, Role.INSPECTOR, Role.LEADER, Role.OFFICER),
    "checklist.manage": _roles(Role.ADMIN),
    # Rectification: the role gate; services/rectification/ decides the side (unit or verifier) per ticket.
    "tickets.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "tickets.inbox": _roles(Role.OFFICER),  # the unit's tickets to answer
    "tickets.queue": _roles(Role.INSPECTOR),  # the bureau's tickets to verify
    "notice.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "findings.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "findings.review": _roles(Role.INSPECTOR, Role.LEADER),
    "notice.issue": _roles(Role.INSPECTOR),
    # Official documents (PDF) of the records in scope: reports, notices; verification of their codes.
    "documents.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    # The period summary (保密检查情况通报) of an area: bureau-side readers, for their own subtree.
    "documents.summary": _roles(Role.LEADER, Role.INSPECTOR),
    # Incidents (泄密事件) and their cases: a unit reports its own, a bureau's inspector registers one and runs the
    # case, leaders read; services/incidents/ decides per case who is the unit and who handles it.
    "incidents.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "incidents.report": _roles(Role.INSPECTOR, Role.OFFICER),
    "incidents.handle": _roles(Role.INSPECTOR),
    # Registers (台账): read by whoever sees the unit's work; kept by the unit's own officer.
    "registers.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "registers.edit": _roles(Role.OFFICER),
    # The annual appraisal: the bureau's inspectors organise a round, its leader approves it; a unit's officer reads
    # the unit's own result once approved (the round itself, every unit's, is the bureau's).
    "appraisal.view": _roles(Role.LEADER, Role.INSPECTOR, Role.OFFICER),
    "appraisal.view_round": _roles(Role.LEADER, Role.INSPECTOR),
    "appraisal.manage": _roles(Role.INSPECTOR),
    "appraisal.approve": _roles(Role.LEADER),
    # Technical inspection results: a team member brings a scan file to the inspection (services/scans/ checks the
    # team); a unit's officer answers its tickets through the API as on the ticket's page.
    "scans.import": _roles(Role.INSPECTOR, Role.OFFICER),
    "tickets.respond": _roles(Role.OFFICER),
    # API tokens are grants of rights to machines: the secadmin's, like every grant (docs/api.md says why).
    "tokens.manage": _roles(Role.SECADMIN),
}

# What each permission of an API token grants its client: actions of RULES, in the token's scope.
TOKEN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "figures.read": ("dashboard.view", "units.view"),
    "inspections.read": ("inspection.view", "findings.view", "notice.view", "units.view"),
    "inspections.plan": ("inspection.view", "inspection.plan"),
    "scans.import": ("inspection.view", "scans.import"),
    "tickets.read": ("tickets.view", "findings.view", "notice.view"),
    "tickets.respond": ("tickets.view", "tickets.respond"),
}


def _allows(user: User, action: str, obj: Any) -> bool:
    """The rule of `action` for `user`: a machine client's token grants it or not; a person's role decides."""
    if user.role == Role.CLIENT:
        token = user.api_token
        return (token is not None and token.is_usable()
                and any(action in TOKEN_PERMISSIONS.get(p, ()) for p in token.permissions))
    return RULES[action](user, obj)


def can(user: User | None, action: str, obj: Any = None) -> bool:
    if user is None or not user.active:
        return False
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}")
    if obj is not None and not in_scope(user, obj):
        return False
    return _allows(user, action, obj)


def require(user: User | None, action: str, obj: Any = None) -> None:
    """403 when the user may not act; callers load `obj` through this module first, so it is in scope."""
    if not can(user, action, obj):
        raise Forbidden()


# The gates on the views ------------------------------------------------------------------------------


def _mark(gated: Callable, view: Callable, gate: str) -> Callable:
    """Record the view's gates, outermost first (a test checks that every route has one)."""
    gated.authz_gates = (gate, *getattr(view, "authz_gates", ()))  # type: ignore[attr-defined]
    return gated


def _known(action: str) -> str:
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}")
    return action


def requires(*actions: str) -> Callable:
    """Gate a view without an object: the user must be allowed one of `actions` (403 otherwise)."""
    for action in actions:
        _known(action)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def gated(*args, **kwargs):
            user = g.get("user")
            if not any(can(user, action) for action in actions):
                raise Forbidden()
            return view(*args, **kwargs)

        return _mark(gated, view, " | ".join(actions))

    return decorator


def loads(model: type, arg: str, action: str, *, name: str | None = None) -> Callable:
    """Gate a view with an object: load `model` by the URL's `arg` through the user's scope (404 outside it), check
    `action` on it (403), and hand it to the view as `name` (by default `arg` without its `_id`)."""
    name = name or arg.removesuffix("_id")
    _known(action)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def gated(*args, **kwargs):
            user = g.get("user")
            obj = get_or_404(user, model, kwargs.pop(arg))
            if not (user.active and _allows(user, action, obj)):  # in scope already: it was loaded through it
                raise Forbidden()
            return view(*args, **{name: obj}, **kwargs)

        return _mark(gated, view, f"{action} {model.__name__}")

    return decorator
