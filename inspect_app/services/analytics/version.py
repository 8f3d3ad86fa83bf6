"""The data version: a token every write that may change what the leaders' pages show replaces, so a page
rendered at one token stays good for as long as the token stands (the dashboard keeps its board by it).

One session hook, like the rollups' upkeep: a flush that adds, changes or deletes anything but the quiet records
(sessions, the audit trail, notifications, answers being filled in, rendered documents) moves the token, and so
does a bulk statement run through the session. A watched record of the figures moves it only when the change
is one the figures count (upkeep.WATCHED), so autosaving a draft inspection leaves the pages kept. Writes that
bypass the session (COPY) end in a rollup rebuild, which moves it too.
"""

from __future__ import annotations

import secrets
from itertools import chain

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from ...database import dialect_insert
from ...models import (
    Answer,
    AnswerRevision,
    AuditHead,
    AuditRecord,
    DataVersion,
    Document,
    LoginThrottle,
    Notification,
    UserSession,
)
from .upkeep import WATCHED, changed

QUIET = {Answer, AnswerRevision, AuditHead, AuditRecord, DataVersion, Document, LoginThrottle, Notification,
         UserSession}
QUIET_TABLES = {model.__tablename__ for model in QUIET}


def current(session: Session) -> str | None:
    """The token now; None before the first write (nothing is kept then)."""
    return session.scalar(select(DataVersion.token).where(DataVersion.id == 1))


def bump(session: Session) -> None:
    """A new token, in the caller's transaction: pages kept at the old one are not shown again."""
    insert = dialect_insert(session)
    stmt = insert(DataVersion).values(id=1, token=secrets.token_hex(16))
    session.connection().execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                            set_={"token": stmt.excluded.token}))


def _moves_pages(session: Session) -> bool:
    for obj in chain(session.new, session.dirty, session.deleted):
        model = type(obj)
        if model in QUIET:
            continue
        if model in WATCHED and obj in session.dirty and not changed(obj, WATCHED[model]):
            continue
        return True
    return False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush, _instances) -> None:
    if _moves_pages(session):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in QUIET_TABLES:
            bump(state.session)
