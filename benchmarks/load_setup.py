"""Prepare a database for the load benchmark: the library, the demo org, and one 59-item inspection
for each of N benchmark inspectors. Prints the plan as JSON for the locustfile.

    INSPECT_INSTANCE=/tmp/bench INSPECT_DEMO=1 python benchmarks/load_setup.py 20 > /tmp/bench/plan.json
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.models import NodeKind, OrgNode, User
from inspect_app.services import accounts, checklists, demo, inspections

PASSWORD = "Bench-Load-2026"
TEMPLATES = ["network", "carriers", "key-departments", "meetings"]  # 59 items


def main(count: int) -> None:
    app = create_app({"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed_org(db.session)
        city = db.session.scalar(select(OrgNode).where(OrgNode.code == demo.CITY_CODE))
        units = db.session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.UNIT).order_by(OrgNode.id)).all()
        current = {v.template.key: v for v in checklists.current_versions(db.session)}
        plan = []
        for n in range(1, count + 1):
            username = f"bench{n:02d}"
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user, _ = accounts.create_user(db.session, None, username=username, display_name=f"压测{n}",
                                               role="inspector", org_node=city, password=PASSWORD,
                                               must_change_password=False)
            inspection = inspections.plan_inspection(
                db.session, user, unit=units[n % len(units)], kind="routine",
                versions=[current[k] for k in TEMPLATES], scheduled_on=date.today(), lead=user)
            # The tablets' typical write: a 符合/不符合 judgement.
            items = [i.id for i in inspections.load_items(db.session, inspection) if i.response == "compliance"]
            plan.append({"username": username, "password": PASSWORD, "inspection": inspection.id, "items": items})
        json.dump(plan, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
