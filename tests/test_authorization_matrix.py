"""Every route that takes an id, for every demo role, with the ids of objects outside that role's scope:
none may answer 200 (or act): out of scope answers 404 — or 403 where the role may not use the area at all.
And for accounts, the table of who may do what to whom (三员分立), through the services and the pages.

The route list comes from app.url_map, so a new route with an id fails here until the matrix knows how to
fill it (FILL below) or why it holds nothing unit-owned (NOT_UNIT_OWNED).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import (
    AppraisalRound,
    Attachment,
    Classifier,
    Document,
    ExtensionRequest,
    Finding,
    Incident,
    Inspection,
    KeyPlace,
    Notice,
    Notification,
    OrgNode,
    ProposedAnswer,
    Scan,
    SecretCarrier,
    SecretDevice,
    SecretMatter,
    SecretPerson,
    Signature,
    Ticket,
    User,
    utcnow,
)
from inspect_app.services import accounts, appraisals, documents
from inspect_app.services.accounts import NotPermitted

from .helpers import make_user, node, user

# Which units' work each role must not reach. The city's inspector and leader see every unit.
OUT_OF_SCOPE = {
    "officer": ["XS-ZRZY", "BC-GAJ"],
    "officer2": ["DH-ZFB", "BC-GAJ"],
    "inspector2": ["XS-ZRZY", "BC-GAJ"],
    "admin": ["DH-ZFB", "XS-ZRZY", "BC-GAJ"],
    "auditor": ["DH-ZFB", "XS-ZRZY", "BC-GAJ"],
}

# Routes whose ids are not of unit-owned objects, with the reason they are left to other tests.
NOT_UNIT_OWNED = {
    "static": "public files",
    "checklists.template": "the library is shared by all units (test_checklist_pages)",
    "checklists.diff": "the library",
    "checklists.version": "the library",
    "checklists.set_status": "the library; admin only (test_checklist_pages)",
    "admin.edit_node": "the org tree; scoped to the admin's subtree (test_scoping)",
    "admin.set_node_active": "the org tree (test_scoping)",
    "admin.move_node": "the org tree (test_scoping)",
    "admin.edit_user": "accounts (test_scoping)",
    "admin.set_user_active": "accounts (test_scoping)",
    "admin.reset_password": "accounts (test_scoping)",
    "rights.edit_user": "accounts' rights (test_scoping; the account matrix below)",
    "rights.unlock": "accounts (the account matrix below)",
    "tickets.export_tickets": "a format name; the rows are scoped (test_rectification_web)",
    "tickets.export_findings": "a format name; the rows are scoped (test_rectification_web)",
    "documents.job": "a job code, checked against its owner (test_documents)",
    "documents.job_status": "a job code (test_documents)",
    "tokens.revoke": "API tokens: the secadmin's, of their subtree (test_api_tokens)",
}


class World:
    """For each unit, the ids of one of each kind of object it owns."""

    def __init__(self):
        self.ids: dict[str, dict[str, int | str]] = {}

    def of(self, unit: str) -> dict[str, int | str]:
        return self.ids[unit]


def _first(stmt):
    found = db.session.scalars(stmt.limit(1)).first()
    assert found is not None, str(stmt)
    return found


@pytest.fixture
def world(full_demo) -> World:
    world = World()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    for code in ("DH-ZFB", "XS-ZRZY", "BC-GAJ"):
        unit = db.session.scalar(select(OrgNode).where(OrgNode.code == code))
        issued = _first(select(Inspection).where(Inspection.unit_id == unit.id, Inspection.kind != "self",
                                                 Inspection.status.in_(["issued", "closed"])))
        ticket = _first(select(Ticket).where(Ticket.inspection_id == issued.id))
        document = documents.ensure(db.session, inspector, documents.prepare(db.session, "notice",
                                                                            _first(select(Notice).where(
                                                                                Notice.inspection_id == issued.id))))
        photo = db.session.scalars(select(Attachment).where(Attachment.unit_id == unit.id,
                                                            Attachment.kind == "photo")).first()
        evidence = db.session.scalars(select(Attachment).where(Attachment.unit_id == unit.id,
                                                               Attachment.kind == "evidence")).first()
        extension = db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.unit_id == unit.id)).first()
        scan = db.session.scalars(select(Scan).where(Scan.unit_id == unit.id)).first()
        proposal = db.session.scalars(select(ProposedAnswer).where(ProposedAnswer.unit_id == unit.id)).first()
        world.ids[code] = {
            "inspection_id": issued.id,
            "finding_id": _first(select(Finding).where(Finding.inspection_id == issued.id)).id,
            "item_id": _first(select(Finding).where(Finding.inspection_id == issued.id)).item_id,
            "photo_id": photo.id if photo else 999_999,
            "role": _first(select(Signature).where(Signature.inspection_id == issued.id)).role,
            "ticket_id": ticket.id,
            "attachment_id": evidence.id if evidence else 999_999,
            "extension_id": extension.id if extension else 999_999,
            "notice_id": _first(select(Notice).where(Notice.inspection_id == issued.id)).id,
            "document_id": document.id,
            "unit_id": unit.id,
            "incident_id": _first(select(Incident).where(Incident.unit_id == unit.id)).id,
            # The unit's registers: one entry of each, and the names a register's URL takes.
            **{name: _first(select(model).where(model.unit_id == unit.id)).id for name, model in REGISTER_IDS.items()},
            "kind": "carriers",
            "fmt": "csv",
            "scan_id": scan.id if scan else 999_999,
            "proposal_id": proposal.id if proposal else 999_999,
        }
    # An appraisal round of each unit's area: the districts' own (drafts) and the city's (approved, in the demo).
    city = db.session.scalar(select(AppraisalRound).join(OrgNode, AppraisalRound.area_id == OrgNode.id)
                             .where(OrgNode.code == "BC-BMJ"))
    for code, area, username in (("DH-ZFB", "BC-DH", "inspector2"), ("XS-ZRZY", "BC-XS", "inspector")):
        area_node = db.session.scalar(select(OrgNode).where(OrgNode.code == area))
        existing = db.session.scalar(select(AppraisalRound).where(AppraisalRound.area_id == area_node.id,
                                                                  AppraisalRound.year == city.year))
        world.ids[code]["round_id"] = (existing or appraisals.create_round(
            db.session, db.session.scalar(select(User).where(User.username == username)), area=area_node,
            year=city.year, scheme=city.scheme)).id
    world.ids["BC-GAJ"]["round_id"] = city.id
    # A notification of someone at each unit (an officer there, or the lead inspector).
    for code, username in (("DH-ZFB", "officer"), ("XS-ZRZY", "officer2"), ("BC-GAJ", "inspector")):
        owner = db.session.scalar(select(User).where(User.username == username))
        notification = _first(select(Notification).where(Notification.user_id == owner.id))
        world.ids[code]["notification_id"] = notification.id
    return world


def routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in NOT_UNIT_OWNED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    return found


def test_every_route_has_a_door(app):
    """Every view is reachable without logging in (security.public) or carries its gate from authz (requires or
    loads), so a new route cannot forget its door."""
    doorless = [f"{rule.rule} ({rule.endpoint})" for rule in app.url_map.iter_rules()
                if rule.endpoint != "static" and not getattr(app.view_functions[rule.endpoint], "is_public", False)
                and not getattr(app.view_functions[rule.endpoint], "authz_gates", ())]
    assert doorless == []


def test_every_route_with_an_id_is_in_the_matrix(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint not in NOT_UNIT_OWNED:
            unknown = set(rule.arguments) - set(FILLABLE)
            assert not unknown, f"{rule.rule}: the matrix cannot fill {unknown}; add them to FILLABLE"


REGISTER_IDS = {"person_id": SecretPerson, "carrier_id": SecretCarrier, "device_id": SecretDevice,
                "classifier_id": Classifier, "matter_id": SecretMatter, "place_id": KeyPlace}
FILLABLE = {"inspection_id", "finding_id", "item_id", "photo_id", "role", "ticket_id", "attachment_id",
            "extension_id", "notice_id", "document_id", "unit_id", "notification_id", "incident_id", "kind", "fmt",
            "round_id", "scan_id", "proposal_id",
            *REGISTER_IDS}


def build(rule: str, ids: dict) -> str:
    path = rule
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path


def call(browser, method: str, path: str):
    if method == "GET":
        return browser.get(path)
    if path.startswith("/api/"):
        return browser.send_json(method, path, {"answers": [], "signatures": []})
    return browser.post(path, {"reason": "矩阵测试", "body": "矩阵测试", "note": "矩阵测试", "action": "send",
                               "measures": "矩阵测试", "responsible": "某人", "decision": "grant",
                               "indicator": "leadership", "value": "80", "points": "1", "revision": "1"})


@pytest.mark.parametrize("username", sorted(OUT_OF_SCOPE))
def test_no_role_reaches_objects_outside_its_scope(app, world, browser_for, username):
    browser = browser_for(username)
    failures = []
    for endpoint, rule, method in routes(app):
        for unit in OUT_OF_SCOPE[username]:
            path = build(rule, world.of(unit))
            response = call(browser, method, path)
            if response.status_code not in (403, 404):
                failures.append(f"{method} {path} ({endpoint}) → {response.status_code}")
    assert failures == []


@pytest.mark.parametrize(("username", "unit"), [("officer", "DH-ZFB"), ("officer2", "XS-ZRZY"),
                                                ("inspector2", "DH-ZFB"), ("inspector", "BC-GAJ")])
def test_the_same_routes_do_answer_inside_the_scope(app, world, browser_for, username, unit):
    """The other side of the matrix: the pages open for those whose work it is, so the 404s above mean scope."""
    browser = browser_for(username)
    ids = world.of(unit)
    for path in ("/inspections/{inspection_id}", "/tickets/{ticket_id}", "/notices/{notice_id}",
                 "/documents/{document_id}.pdf", "/api/v1/inspections/{inspection_id}",
                 "/api/v1/inspections/{inspection_id}/registers", "/registers/units/{unit_id}",
                 "/incidents/{incident_id}",
                 "/registers/units/{unit_id}/carriers", "/registers/units/{unit_id}/personnel/export.csv",
                 "/registers/carriers/{carrier_id}", "/registers/key_places/{place_id}"):
        response = browser.get(path.format(**ids))
        assert response.status_code == 200, (username, path.format(**ids), response.status_code)
    if username.startswith("officer"):
        assert browser.get(f"/units/{ids['unit_id']}").status_code in (200, 403)
    else:
        assert browser.get(f"/units/{ids['unit_id']}").status_code == 200


def test_documents_on_disk_are_never_served_outside_scope(world, browser_for):
    """The PDF files themselves: another unit's document id is a 404, even for a logged-in inspector."""
    officer2 = browser_for("officer2")
    document = db.session.get(Document, world.of("DH-ZFB")["document_id"])
    assert officer2.get(f"/documents/{document.id}.pdf").status_code == 404
    assert officer2.get(f"/verify?code={document.verification_code}").status_code in (200, 404)
    page = officer2.get(f"/verify?code={document.verification_code}").get_data(as_text=True)
    assert world.of("DH-ZFB")["notice_id"] and "东湖区人民政府办公室" not in page


# Accounts: who may do what to whom ------------------------------------------------------------------
# Written out here, apart from services/accounts/duties.py, so that a change there widening or narrowing a duty
# fails the cells it moves. Every other (actor, action, target) cell is refused.
ALL_ROLES = ["admin", "secadmin", "auditor", "inspector", "officer", "leader", "pending"]
BUSINESS = {"inspector", "officer", "leader"}
MANAGED = BUSINESS | {"pending"}
MAY = {
    ("admin", "create"): BUSINESS,  # the role asked for; the account waits for the secadmin
    ("admin", "deactivate"): MANAGED,
    ("admin", "reactivate"): MANAGED,
    ("admin", "reset_password"): MANAGED,
    ("secadmin", "change_role"): MANAGED,
    ("secadmin", "change_scope"): MANAGED,
    ("secadmin", "unlock"): set(ALL_ROLES),
}
ACCOUNT_ACTIONS = ["create", "deactivate", "reactivate", "reset_password", "change_role", "change_scope", "unlock"]
# The acting accounts (the demo's, and one waiting for a role) and, per role, an account acted on.
ACTORS = {"admin": "admin", "secadmin": "secadmin", "auditor": "auditor", "inspector": "inspector",
          "officer": "officer", "leader": "leader", "pending": "w-pending"}
OTHER_ROLE = {"admin": "leader", "secadmin": "leader", "auditor": "leader", "inspector": "leader",
              "leader": "inspector", "officer": "pending", "pending": "officer"}


def _home(role: str) -> str:
    return "DH-ZFB" if role in ("officer", "pending") else "BC-BMJ"


def _other_home(role: str) -> str:
    return "DH-JYJ" if role in ("officer", "pending") else "BC-DH"


@pytest.fixture
def targets(demo) -> dict[str, int]:
    make_user("w-pending", "pending", node("DH-ZFB"))
    targets = {role: make_user(f"t-{role}", role, node(_home(role))).id for role in ALL_ROLES}
    db.session.commit()
    return targets


class Cell:
    """One (action, target) of the matrix: set the target up, then tell whether the action took effect."""

    def __init__(self, action: str, role: str, target_id: int, serial: int):
        self.action, self.role, self.serial = action, role, serial
        self.target = db.session.get(User, target_id)
        self.target.active, self.target.role, self.target.locked_until = True, role, None
        self.target.org_node = node(_home(role))
        if action == "reactivate":
            self.target.active = False
        if action == "unlock":
            self.target.locked_until = utcnow().replace(year=utcnow().year + 1)
        db.session.commit()
        self.password_hash = self.target.password_hash
        self.new_username = f"new-{role}-{serial}"
        self.new_role = OTHER_ROLE[role]
        self.new_node = node(_other_home(role))

    def took_effect(self) -> bool:
        db.session.expire_all()
        target = db.session.get(User, self.target.id)
        return {
            "create": lambda: db.session.scalar(select(User).where(User.username == self.new_username)) is not None,
            "deactivate": lambda: not target.active,
            "reactivate": lambda: target.active,
            "reset_password": lambda: target.password_hash != self.password_hash,
            "change_role": lambda: target.role == self.new_role,
            "change_scope": lambda: target.org_node_id == self.new_node.id,
            "unlock": lambda: target.locked_until is None,
        }[self.action]()

    def run_service(self, actor: User) -> None:
        target = self.target
        if self.action == "create":
            accounts.create_user(db.session, actor, username=self.new_username, display_name="矩阵",
                                 role=self.role, org_node=node(_home(self.role)))
        elif self.action in ("deactivate", "reactivate"):
            accounts.set_user_active(db.session, actor, target, self.action == "reactivate")
        elif self.action == "reset_password":
            accounts.reset_password(db.session, actor, target, "矩阵测试")
        elif self.action == "change_role":
            accounts.assign_rights(db.session, actor, target, role=self.new_role, org_node=target.org_node)
        elif self.action == "change_scope":
            accounts.assign_rights(db.session, actor, target, role=target.role, org_node=self.new_node)
        else:
            accounts.unlock(db.session, actor, target)

    def run_web(self, browser):
        base = f"/admin/users/{self.target.id}"
        rights = f"/rights/users/{self.target.id}"
        return {
            "create": lambda: browser.post("/admin/users/new", {
                "username": self.new_username, "display_name": "矩阵", "role": self.role,
                "org_node_id": node(_home(self.role)).id}),
            "deactivate": lambda: browser.post(f"{base}/active", {"active": "0"}),
            "reactivate": lambda: browser.post(f"{base}/active", {"active": "1"}),
            "reset_password": lambda: browser.post(f"{base}/password", {"reason": "矩阵测试"}),
            "change_role": lambda: browser.post(rights, {"role": self.new_role,
                                                         "org_node_id": self.target.org_node_id}),
            "change_scope": lambda: browser.post(rights, {"role": self.role, "org_node_id": self.new_node.id}),
            "unlock": lambda: browser.post(f"{rights}/unlock"),
        }[self.action]()


def _cells():
    serial = 0
    for action in ACCOUNT_ACTIONS:
        for role in ALL_ROLES:
            serial += 1
            yield action, role, serial


@pytest.mark.parametrize("actor_role", ALL_ROLES)
def test_who_may_do_what_to_whom_in_the_services(targets, actor_role):
    differs = []
    for action, role, serial in _cells():
        cell = Cell(action, role, targets[role], serial)
        expected = role in MAY.get((actor_role, action), set())
        actor = user(ACTORS[actor_role])
        try:
            cell.run_service(actor)
            refused = False
        except NotPermitted:
            db.session.rollback()
            refused = True
        if cell.took_effect() != expected or refused == expected:
            differs.append(f"{actor_role} {action} {role}: expected {'allowed' if expected else 'refused'}")
    assert differs == []


@pytest.mark.parametrize("actor_role", ALL_ROLES)
def test_who_may_do_what_to_whom_through_the_pages(targets, browser_for, actor_role):
    password = "Tablet-Check-2026" if actor_role == "pending" else "Demo@2026"
    browser = browser_for(ACTORS[actor_role], password)
    differs = []
    for action, role, serial in _cells():
        cell = Cell(action, role, targets[role], serial)
        expected = role in MAY.get((actor_role, action), set())
        status = cell.run_web(browser).status_code
        # Allowed: the page answers (a redirect, or the one-time password); refused: 403 (the admin's new-account
        # form, whose role list holds only business roles, comes back instead).
        answered = status in (200, 302) if expected else status == 403 or (action == "create" and status == 200)
        if cell.took_effect() != expected or not answered:
            differs.append(f"{actor_role} {action} {role}: {status}, expected {'allowed' if expected else 'refused'}")
    assert differs == []


@pytest.mark.parametrize("made", ["admin", "secadmin", "auditor"])
def test_no_web_action_makes_anyone_one_of_the_three(targets, browser_for, made):
    secadmin = browser_for("secadmin")
    for role in ("inspector", "leader", "pending"):
        target = db.session.get(User, targets[role])
        with pytest.raises(NotPermitted):
            accounts.assign_rights(db.session, user("secadmin"), target, role=made, org_node=target.org_node)
        db.session.rollback()
        assert secadmin.post(f"/rights/users/{target.id}", {"role": made, "org_node_id": target.org_node_id}
                             ).status_code == 403
        db.session.expire_all()
        assert db.session.get(User, targets[role]).role == role


def test_an_admin_cannot_reach_the_trail_by_any_path(demo, browser_for):
    admin = browser_for("admin")
    me, auditor = user("admin"), user("auditor")
    auditor_hash = auditor.password_hash
    # Reset the auditor's password, or their own.
    assert admin.post(f"/admin/users/{auditor.id}/password", {"reason": "接管"}).status_code == 403
    assert admin.post(f"/admin/users/{me.id}/password", {"reason": "接管"}).status_code == 403
    # Change someone's role, or their own, to auditor: the admin's form has no role, the secadmin's is closed.
    for account in (user("inspector"), me):
        admin.post(f"/admin/users/{account.id}", {"display_name": account.display_name, "role": "auditor",
                                                  "org_node_id": account.org_node_id})
        assert admin.post(f"/rights/users/{account.id}", {"role": "auditor", "org_node_id": account.org_node_id}
                          ).status_code == 403
    # Nor can the secadmin make the admin, or themself, the auditor.
    secadmin = browser_for("secadmin")
    for account in (me, user("secadmin")):
        assert secadmin.post(f"/rights/users/{account.id}", {"role": "auditor", "org_node_id": account.org_node_id}
                             ).status_code == 403
    # Deactivate the auditor, and make an account of the same name.
    assert admin.post(f"/admin/users/{auditor.id}/active", {"active": "0"}).status_code == 403
    auditor.active = False  # even were the auditor gone (on the command line), the name stays taken
    db.session.commit()
    for username in ("auditor", "Auditor"):
        for role in ("auditor", "officer"):
            page = admin.post("/admin/users/new", {"username": username, "display_name": "审计", "role": role,
                                                   "org_node_id": node("DH-ZFB").id}).get_data(as_text=True)
            assert "账户已创建" not in page
    db.session.expire_all()
    assert user("auditor").password_hash == auditor_hash
    assert (user("admin").role, user("inspector").role) == ("admin", "inspector")
    assert db.session.scalars(select(User.username).where(User.role == "auditor")).all() == ["auditor"]
    for path in ("/audit/", "/audit/export.csv", "/rights/auditors"):
        assert admin.get(path).status_code == 403, path
    assert admin.post("/audit/verify").status_code == 403
