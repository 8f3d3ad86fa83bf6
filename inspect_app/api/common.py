"""What the API's resources share: reading a JSON body or a query string into its model, cursor pagination, the
responses a view answers on its own, and the caller."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select

from ..extensions import db
from ..models import OrgNode, User
from ..problems import problem
from ..security import current_user
from ..services import DomainError
from . import schemas
from .spec import Problem

M = TypeVar("M", bound=BaseModel)

NOT_FOUND = (404, ("Not found, or outside the caller's scope", Problem))
BAD = (400, ("Invalid request", Problem))
CONFLICT = (409, ("The object changed, or its state does not allow this", Problem))
LOCKED = (409, ("The inspection is locked or the state changed", Problem))
NEEDS_CONFIRMATION = (422, ("Text looks classified: send again with confirm_unclassified", Problem))
TOO_LARGE = (413, ("Larger than the upload limit", Problem))


def actor() -> User:
    """The caller: a person's account, or a machine client's."""
    return current_user._get_current_object()


def refuse(status: int, code: str, message: str):
    return problem(status, code, message)


def unit_ref(node: OrgNode) -> schemas.UnitRef:
    return schemas.UnitRef(id=node.id, name=node.name, code=node.code)


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return _("请求内容有误：%(where)s %(msg)s", where=where, msg=first["msg"])


def json_payload() -> Any:
    """The JSON body as sent; DomainError (400) for one that is no JSON or holds a NUL character."""
    if "\\u0000" in request.get_data(as_text=True):
        raise DomainError(_("请求中含有无效字符。"))
    payload = request.get_json(silent=True)
    if payload is None:
        raise DomainError(_("请求内容不是有效的 JSON。"))
    return payload


def body(model: type[M]) -> M:
    """The JSON body as `model`; DomainError (400) with the first problem in words."""
    payload = json_payload()
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise DomainError(_first_problem(exc)) from None


def query(model: type[M]) -> M:
    """The query string as `model` (unknown arguments are ignored, as on the pages)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise DomainError(_first_problem(exc)) from None


# Cursor pagination ------------------------------------------------------------------------------------
#
# Lists run newest first by id; a cursor is the last id of a page, wrapped so that clients treat it as opaque and
# the form can change. Rows added meanwhile never shift a page, as offsets would.

CURSOR_MARK = "c1:"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_MARK}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(CURSOR_MARK)
    if not text.startswith(CURSOR_MARK) or not number.isdigit() or not 0 < int(number) < 2**31:
        raise DomainError(_("分页游标无效，请从第一页重新读取。"), field="cursor")
    return int(number)


def page(stmt: Select, id_column, cursor: str | None, limit: int) -> tuple[Sequence[Any], str | None]:
    """One page of `stmt` (newest first by `id_column`) after `cursor`, and the cursor of the next page (None at
    the end)."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column < after)
    rows = db.session.scalars(stmt.order_by(None).order_by(id_column.desc()).limit(limit + 1)).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def listing(model: type[BaseModel], stmt: Select, id_column, cursor: str | None, limit: int,
            out: Callable[[Any], BaseModel]):
    """A page of `stmt` as the JSON of list model `model` (items and next_cursor)."""
    rows, following = page(stmt, id_column, cursor, limit)
    return jsonify(model(items=[out(row) for row in rows], next_cursor=following).model_dump(mode="json"))
