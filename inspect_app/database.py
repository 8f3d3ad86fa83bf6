"""Engine set-up and the unit of work.

SQLite allows one writer at a time. A transaction that reads first and writes later fails at once
("database is locked") when another writer committed in between, whatever the busy timeout. So every
unit of work that writes opens with BEGIN IMMEDIATE: writers queue on the busy timeout instead, and
readers, under WAL, never wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

_writing: ContextVar[bool] = ContextVar("writing", default=False)

SQLITE_BUSY_TIMEOUT_MS = 15000


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # e.g. a migration setting a pragma that SQLite ignores inside a transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Run the block as one transaction that may write; commit at the end, roll back on error.

    Nested calls join the outer transaction, so a service may call another service.
    """
    if isinstance(session, scoped_session):
        session = session()
    if _writing.get() and session.in_transaction():
        yield session
        return
    if session.in_transaction():
        # End the read snapshot the request began with; a read-only transaction has nothing to lose.
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("changes made outside transaction()")
        session.commit()
    token = _writing.set(True)
    try:
        with session.begin():
            yield session
    finally:
        _writing.reset(token)


def dialect_insert(session: Session):
    """The database's own `insert`, which offers `.on_conflict_do_nothing()` (both SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def bulk_insert(session: Session, table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert many rows (values in the order of `columns`) in the session's transaction: PostgreSQL's COPY, a
    fraction of the time row-wise INSERTs take on a million rows; elsewhere one executemany."""
    if session.get_bind().dialect.name != "postgresql":
        batch = [dict(zip(columns, row, strict=True)) for row in rows]
        if batch:
            session.connection().execute(table.insert(), batch)
        return
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
