"""The demo: a small city with two district bureaus, a dozen units and one account per role.

Only for demo mode (INSPECT_DEMO=1). Every demo account's password is Demo@2026.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import transaction
from ..models import NodeKind, OrgNode, Role, UnitType, User
from . import audit, org, passwords

DEMO_PASSWORD = "Demo@2026"
CITY_CODE = "BC-BMJ"

# (code, name, unit type, key unit) under each bureau, by the bureau's code.
DISTRICTS = [
    ("BC-DH", "东湖区国家保密局"),
    ("BC-XS", "西山县国家保密局"),
]
UNITS = {
    CITY_CODE: [
        ("BC-FGW", "宝川市发展和改革委员会", UnitType.PARTY_GOV, True),
        ("BC-CZJ", "宝川市财政局", UnitType.PARTY_GOV, True),
        ("BC-GAJ", "宝川市公安局", UnitType.PARTY_GOV, True),
        ("BC-TJJ", "宝川市统计局", UnitType.PARTY_GOV, False),
    ],
    "BC-DH": [
        ("DH-ZFB", "东湖区人民政府办公室", UnitType.PARTY_GOV, True),
        ("DH-JYJ", "东湖区教育局", UnitType.PARTY_GOV, False),
        ("DH-FY", "东湖区人民法院", UnitType.JUDICIAL, True),
        ("DH-DL", "宝川电力集团东湖供电公司", UnitType.STATE_ENTERPRISE, False),
    ],
    "BC-XS": [
        ("XS-ZFB", "西山县人民政府办公室", UnitType.PARTY_GOV, True),
        ("XS-ZRZY", "西山县自然资源局", UnitType.PARTY_GOV, False),
        ("XS-YY", "西山县人民医院", UnitType.INSTITUTION, False),
        ("XS-DAG", "西山县档案馆", UnitType.INSTITUTION, True),
    ],
}
# username, display name, role, org code
ACCOUNTS = [
    ("admin", "系统管理员", Role.ADMIN, CITY_CODE),
    ("auditor", "安全审计员", Role.AUDITOR, CITY_CODE),
    ("inspector", "王建国", Role.INSPECTOR, CITY_CODE),
    ("inspector2", "李文静", Role.INSPECTOR, "BC-DH"),
    ("officer", "赵丽华", Role.OFFICER, "DH-ZFB"),
    ("officer2", "孙志强", Role.OFFICER, "XS-ZRZY"),
    ("leader", "陈德明", Role.LEADER, CITY_CODE),
]


def seed(session: Session) -> bool:
    """Create the demo org tree and accounts; False (and nothing changed) when they exist already."""
    if session.scalar(select(OrgNode).where(OrgNode.code == CITY_CODE)) is not None:
        return False
    with transaction(session):
        city = org.create_node(session, None, kind=NodeKind.BUREAU, name="宝川市国家保密局", code=CITY_CODE,
                               parent=None)
        nodes = {CITY_CODE: city}
        for code, name in DISTRICTS:
            nodes[code] = org.create_node(session, None, kind=NodeKind.DISTRICT, name=name, code=code, parent=city)
        for parent_code, units in UNITS.items():
            for code, name, unit_type, key in units:
                nodes[code] = org.create_node(session, None, kind=NodeKind.UNIT, name=name, code=code,
                                              parent=nodes[parent_code], unit_type=unit_type, is_key_unit=key)
        password_hash = passwords.hash_password(DEMO_PASSWORD)
        for username, display_name, role, code in ACCOUNTS:
            user = User(username=username, display_name=display_name, role=role, org_node=nodes[code],
                        password_hash=password_hash)
            session.add(user)
            session.flush()
            audit.record(session, None, "user.create", user, actor_name="seed-demo",
                         details={"username": username, "role": role, "org_node_id": user.org_node_id})
    return True
