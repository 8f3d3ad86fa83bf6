"""Every route that takes an id, for every demo role, with the ids of objects outside that role's scope:
none may answer 200 (or act): out of scope answers 404 — or 403 where the role may not use the area at all.

The route list comes from app.url_map, so a new route with an id fails here until the matrix knows how to
fill it (FILL below) or why it holds nothing unit-owned (NOT_UNIT_OWNED).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import (
    Attachment,
    Document,
    ExtensionRequest,
    Finding,
    Inspection,
    Notice,
    Notification,
    OrgNode,
    Signature,
    Ticket,
    User,
)
from inspect_app.services import documents

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
        }
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


def test_every_route_with_an_id_is_in_the_matrix(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint not in NOT_UNIT_OWNED:
            unknown = set(rule.arguments) - set(FILLABLE)
            assert not unknown, f"{rule.rule}: the matrix cannot fill {unknown}; add them to FILLABLE"


FILLABLE = {"inspection_id", "finding_id", "item_id", "photo_id", "role", "ticket_id", "attachment_id",
            "extension_id", "notice_id", "document_id", "unit_id", "notification_id"}


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
                               "measures": "矩阵测试", "responsible": "某人", "decision": "grant"})


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
                 "/documents/{document_id}.pdf", "/api/v1/inspections/{inspection_id}"):
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
