"""Prepare a database for the load benchmarks and print the plan (who logs in, with what) as JSON.

    INSPECT_INSTANCE=/tmp/bench INSPECT_DEMO=1 python benchmarks/load_setup.py --inspectors 20
    INSPECT_INSTANCE=/tmp/bench INSPECT_DEMO=1 python benchmarks/load_setup.py --inspectors 30 --scale 2000

The library, the demo org and accounts; one 59-item inspection for each benchmark inspector; with --scale,
the synthetic city of `seed-demo --scale` (whose unit officers have tickets to answer and whose leaders have
figures to read).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.models import NodeKind, OrgNode, Role, Ticket, User
from inspect_app.services import accounts, checklists, demo, inspections

PASSWORD = "Bench-Load-2026"
TEMPLATES = ["network", "carriers", "key-departments", "meetings"]  # 59 items


def inspectors(count: int) -> list[dict]:
    city = db.session.scalar(select(OrgNode).where(OrgNode.code == demo.CITY_CODE))
    units = db.session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.UNIT).order_by(OrgNode.id)).all()
    current = {v.template.key: v for v in checklists.current_versions(db.session)}
    plan = []
    for n in range(1, count + 1):
        username = f"bench{n:02d}"
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user, _ = accounts.create_user(db.session, None, username=username, display_name=f"压测{n}",
                                           role=Role.INSPECTOR, org_node=city, password=PASSWORD,
                                           must_change_password=False)
        inspection = inspections.plan_inspection(
            db.session, user, unit=units[n % len(units)], kind="routine",
            versions=[current[k] for k in TEMPLATES], scheduled_on=date.today(), lead=user)
        # The tablets' typical write: a 符合/不符合 judgement.
        items = [i.id for i in inspections.load_items(db.session, inspection) if i.response == "compliance"]
        plan.append({"username": username, "password": PASSWORD, "inspection": inspection.id, "items": items})
    return plan


def officers(count: int) -> list[dict]:
    """Officers of the synthetic units that have tickets still to answer (open or returned)."""
    rows = db.session.execute(
        select(User.username, Ticket.unit_id)
        .join(Ticket, Ticket.unit_id == User.org_node_id)
        .where(User.role == Role.OFFICER, Ticket.status.in_(["open", "returned"]), Ticket.notice_id.is_not(None))
        .distinct().limit(count)).all()
    return [{"username": username, "password": demo.DEMO_PASSWORD} for username, _unit in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inspectors", type=int, default=20)
    parser.add_argument("--officers", type=int, default=0)
    parser.add_argument("--scale", type=int, default=0)
    args = parser.parse_args()
    app = create_app({"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed(db.session)
        if args.scale:
            demo.add_scale(db.session, args.scale)
        plan = {"inspectors": inspectors(args.inspectors), "officers": officers(args.officers),
                "leaders": [{"username": "leader", "password": demo.DEMO_PASSWORD}]}
        json.dump(plan, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
