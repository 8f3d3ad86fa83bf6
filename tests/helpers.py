"""Small helpers that build data and drive the app the way a user does."""

from __future__ import annotations

import contextvars
import re
import uuid

from flask import Flask, has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inspect_app.extensions import db
from inspect_app.models import NodeKind, OrgNode, Role, User
from inspect_app.services import accounts, org


class _IsolatedClient:
    def __init__(self, client: FlaskClient):
        self._client = client

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if name not in {"get", "post", "put", "patch", "delete", "open"}:
            return attr

        def request(*args, **kwargs):
            response = attr(*args, **kwargs)
            response.get_data()  # read a streamed body while its request context still exists
            response.close()  # the body is kept; a file behind it is closed
            return response

        def isolated(*args, **kwargs):
            response = contextvars.Context().run(request, *args, **kwargs)
            if has_app_context():
                db.session.remove()
            return response

        return isolated


CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Browser:
    """A test client that logs in and sends the CSRF token like the pages do.

    Each request runs in a context of its own, as in production: it gets its own app context, `g`
    and database session, rather than reusing the test's. Afterwards the test's session starts
    afresh, so the test reads what the request committed.
    """

    def __init__(self, app: Flask):
        self.app = app
        self.client = _IsolatedClient(app.test_client())
        self._token: str | None = None

    def get(self, url: str, **kwargs) -> TestResponse:
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        if self._token is None:
            html = self.client.get("/login", follow_redirects=True).get_data(as_text=True)
            match = CSRF_INPUT.search(html)
            assert match, "no CSRF token on the page"
            self._token = match.group(1)
        return self._token

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs) -> TestResponse:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)

    def upload(self, url: str, filename: str, content: bytes, fields: dict | None = None,
               mime: str = "application/octet-stream", field: str = "file") -> TestResponse:
        """A multipart form post of one file, built by hand: the test client's own encoder is slow for big
        files and leaves its temporary file open."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in {"csrf_token": self.token(), **(fields or {})}.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: {mime}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.client.post(url, data=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}")

    def send_json(self, method: str, url: str, payload, *, csrf: bool = True, **kwargs) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if csrf:
            headers.setdefault("X-CSRFToken", self.token())
        return self.client.open(url, method=method, json=payload, headers=headers, **kwargs)

    def login(self, username: str, password: str = "Demo@2026") -> TestResponse:
        self._token = None
        response = self.post("/login", {"username": username, "password": password})
        self._token = None  # the session, and so the token, changed
        return response

    def logout(self) -> TestResponse:
        response = self.post("/logout")
        self._token = None
        return response


def node(code: str) -> OrgNode:
    return db.session.query(OrgNode).filter_by(code=code).one()


def user(username: str) -> User:
    return db.session.query(User).filter_by(username=username).one()


def make_unit(parent: OrgNode, code: str, name: str | None = None, **kwargs) -> OrgNode:
    return org.create_node(db.session, None, kind=NodeKind.UNIT, name=name or f"测试单位{code}", code=code,
                           parent=parent, unit_type=kwargs.pop("unit_type", "party_gov"), **kwargs)


def make_user(username: str, role: str = Role.INSPECTOR, node: OrgNode | None = None,
              password: str = "Tablet-Check-2026", **kwargs) -> User:
    user, _ = accounts.create_user(db.session, None, username=username, display_name=kwargs.pop("name", username),
                                   role=role, org_node=node, password=password,
                                   must_change_password=kwargs.pop("must_change_password", False), **kwargs)
    return user


class Machine:
    """A machine client: each request carries its API token as `Authorization: Bearer`, and no cookie or CSRF
    token (each runs in a context of its own, as Browser's do)."""

    def __init__(self, app: Flask, token: str):
        self.token = token
        self.client = _IsolatedClient(app.test_client(use_cookies=False))

    def _headers(self, kwargs: dict) -> dict:
        return {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}

    def get(self, url: str, **kwargs) -> TestResponse:
        return self.client.get(url, headers=self._headers(kwargs), **kwargs)

    def send_json(self, method: str, url: str, payload, **kwargs) -> TestResponse:
        return self.client.open(url, method=method, json=payload, headers=self._headers(kwargs), **kwargs)

    def post_data(self, url: str, data: bytes, content_type: str, **kwargs) -> TestResponse:
        return self.client.post(url, data=data, content_type=content_type, headers=self._headers(kwargs), **kwargs)


def issue_token(name: str, scope: str, *permissions: str, days: int = 30) -> str:
    """A token issued on the command line's terms (no actor): the token itself, as its client would hold it."""
    from datetime import timedelta

    from inspect_app.clock import local_today
    from inspect_app.services import tokens

    _token, secret = tokens.issue_token(db.session, None, name=name, scope=node(scope), permissions=permissions,
                                        expires_on=local_today() + timedelta(days=days))
    return secret
