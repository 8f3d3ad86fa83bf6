"""The scoping layer: who sees which org nodes and units."""

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from inspect_app import authz
from inspect_app.extensions import db
from inspect_app.models import OrgNode, Role

from .helpers import make_user, node, user


def visible_units(username: str) -> set[str]:
    ids = db.session.scalars(authz.visible_unit_ids(user(username))).all()
    return {n.code for n in db.session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}


def test_city_inspector_and_leader_see_every_unit(demo):
    units = {n.code for n in db.session.scalars(select(OrgNode).where(OrgNode.kind == "unit"))}
    assert len(units) == 12
    assert visible_units("inspector") == units
    assert visible_units("leader") == units


def test_district_inspector_sees_only_that_district(demo):
    assert visible_units("inspector2") == {"DH-ZFB", "DH-JYJ", "DH-FY", "DH-DL"}


def test_officer_sees_only_their_own_unit(demo):
    assert visible_units("officer") == {"DH-ZFB"}
    assert visible_units("officer2") == {"XS-ZRZY"}


@pytest.mark.parametrize("username", ["admin", "secadmin", "auditor"])
def test_the_admin_roles_see_no_unit_work(demo, username):
    assert visible_units(username) == set()


def test_can_checks_the_object_scope(demo):
    other_district_unit = node("XS-YY")
    own_unit = node("DH-JYJ")
    assert authz.can(user("inspector2"), "units.view", own_unit)
    assert not authz.can(user("inspector2"), "units.view", other_district_unit)
    assert authz.can(user("inspector"), "units.view", other_district_unit)
    assert not authz.can(user("officer"), "units.view", own_unit)
    assert authz.can(user("officer"), "units.view", node("DH-ZFB"))
    assert not authz.can(None, "units.view")
    with pytest.raises(KeyError):
        authz.can(user("inspector"), "no.such.action")


def test_a_deactivated_user_can_do_nothing(demo):
    leader = user("leader")
    leader.active = False
    assert not authz.can(leader, "dashboard.view")


def test_scoped_loader_answers_404_outside_scope(demo, app):
    with app.test_request_context():
        assert authz.get_or_404(user("admin"), OrgNode, node("XS-YY").id).code == "XS-YY"
        with pytest.raises(NotFound):
            authz.get_or_404(user("officer"), OrgNode, node("XS-YY").id)
        with pytest.raises(NotFound):
            authz.get_or_404(user("inspector2"), OrgNode, node("XS-YY").id)
        with pytest.raises(NotFound):
            authz.get_or_404(user("inspector2"), OrgNode, "not-a-number")


@pytest.fixture
def district_admin(demo):
    return make_user("dh-admin", Role.ADMIN, node("BC-DH"))


def test_a_district_admin_manages_only_that_district(district_admin, browser_for):
    admin = browser_for("dh-admin", "Tablet-Check-2026")
    html = admin.get("/admin/org").get_data(as_text=True)
    assert "东湖区教育局" in html and "西山县档案馆" not in html
    other = node("XS-DAG").id
    assert admin.get(f"/admin/org/{other}").status_code == 404
    assert admin.post(f"/admin/org/{other}", {"name": "x", "code": "y"}).status_code == 404
    assert admin.post(f"/admin/org/{other}/active", {"active": "0"}).status_code == 404
    assert admin.post(f"/admin/org/{other}/move", {"parent_id": node("BC-DH").id}).status_code == 404
    assert admin.get(f"/admin/users/{user('officer2').id}").status_code == 404
    assert admin.post(f"/admin/users/{user('officer2').id}/password").status_code == 404
    assert admin.post(f"/admin/users/{user('officer2').id}/active", {"active": "0"}).status_code == 404
    assert "officer2" not in admin.get("/admin/users").get_data(as_text=True)
    # Nor can they place a new unit or account outside their subtree.
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": node("BC-XS").id, "name": "越权单位",
                                             "code": "XS-NEW", "unit_type": "other"})
    assert response.status_code == 200  # the form comes back: that parent is not a choice
    assert db.session.scalar(select(OrgNode).where(OrgNode.code == "XS-NEW")) is None


def test_a_district_secadmin_manages_rights_only_in_that_district(demo, browser_for):
    make_user("dh-sec", Role.SECADMIN, node("BC-DH"))
    secadmin = browser_for("dh-sec", "Tablet-Check-2026")
    assert "officer2" not in secadmin.get("/rights/users").get_data(as_text=True)
    other = user("officer2")
    assert secadmin.get(f"/rights/users/{other.id}").status_code == 404
    assert secadmin.post(f"/rights/users/{other.id}", {"role": "pending", "org_node_id": other.org_node_id}
                         ).status_code == 404
    assert secadmin.post(f"/rights/users/{other.id}/unlock").status_code == 404
    # Nor can they move an account of their district out of it.
    own = user("officer")
    response = secadmin.post(f"/rights/users/{own.id}", {"role": "officer", "org_node_id": node("XS-YY").id})
    assert response.status_code == 200  # the form comes back: that node is not a choice
    assert user("officer").org_node.code == "DH-ZFB"
