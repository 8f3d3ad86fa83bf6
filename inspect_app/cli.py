"""The command line, `flask --app wsgi <command>`: every area's commands, registered here and nowhere else.

An area keeps its commands beside its code, in `<area>/cli.py`: a click group named after what it works on
(`@click.group("incidents", cls=AppGroup)`: its commands run in the app context), or, for the few commands
outside any group, `@click.command` with `@with_appcontext`. The module lists what it adds in `commands`;
the area is named once in AREAS.
"""

from __future__ import annotations

from flask import Flask

from . import keys_cli
from .admin import cli as admin_cli
from .analytics import cli as analytics_cli
from .appraisals import cli as appraisals_cli
from .audit import cli as audit_cli
from .checklists import cli as checklists_cli
from .documents import cli as documents_cli
from .incidents import cli as incidents_cli
from .main import cli as main_cli
from .registers import cli as registers_cli
from .tasks import cli as tasks_cli
from .tickets import cli as tickets_cli
from .tokens import cli as tokens_cli

AREAS = (
    main_cli,  # seed-demo, backup create|restore
    admin_cli,  # create-user, reset-password, set-active
    audit_cli,  # audit verify|head|rekey
    checklists_cli,  # checklists validate|cites|sync
    documents_cli,  # report inspection|notice|rectification|summary|verify|fonts
    tickets_cli,  # tickets remind
    incidents_cli,  # incidents remind
    keys_cli,  # keys new-signing-key|rotate-signing-key|new-attachment-key|rotate-attachment-key|rekey-attachments|list
    registers_cli,  # registers remind
    appraisals_cli,  # appraisals validate|sync
    tokens_cli,  # api-token create|list|revoke
    analytics_cli,  # analytics rebuild
    tasks_cli,  # worker
)


def init_app(app: Flask) -> None:
    for area in AREAS:
        for command in area.commands:
            app.cli.add_command(command)
