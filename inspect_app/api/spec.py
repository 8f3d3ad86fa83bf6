"""The API's operations, registered once and described from the same registration.

Each view is declared with `@operation(...)`, which routes it and records its request and response
models (pydantic). `/api/v1/openapi.json` is built from that record, so the document cannot drift
from the code; a test walks the URL map against it as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint
from pydantic import BaseModel

from ..ids import MAX_ID

OPENAPI_VERSION = "3.1.0"


class Error(BaseModel):
    """Every error the API answers: a code for programs, a message in the user's language for people."""

    error: str
    message: str


@dataclass
class Operation:
    method: str
    rule: str  # Flask form: /inspections/<int:inspection_id>
    endpoint: str
    summary: str
    request: type[BaseModel] | None = None
    multipart: dict[str, dict] | None = None  # form field → schema, for uploads
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    query: dict[str, dict] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The OpenAPI form: /inspections/{inspection_id}."""
        parts = []
        for part in self.rule.split("/"):
            if part.startswith("<") and part.endswith(">"):
                part = "{" + part[1:-1].split(":")[-1] + "}"
            parts.append(part)
        return "/".join(parts)

    @property
    def path_parameters(self) -> list[str]:
        return [p[1:-1].split(":")[-1] for p in self.rule.split("/") if p.startswith("<")]


class Registry:
    def __init__(self, blueprint: Blueprint, prefix: str):
        self.blueprint = blueprint
        self.prefix = prefix
        self.operations: list[Operation] = []

    def operation(self, method: str, rule: str, *, summary: str, request: type[BaseModel] | None = None,
                  multipart: dict[str, dict] | None = None, query: dict[str, dict] | None = None,
                  responses: dict[int, tuple[str, type[BaseModel] | None]]) -> Callable:
        def decorator(view: Callable) -> Callable:
            self.operations.append(Operation(method, rule, view.__name__, summary, request, multipart,
                                             responses, query or {}))
            self.blueprint.add_url_rule(rule, view_func=view, methods=[method])
            return view

        return decorator

    def document(self, title: str, version: str) -> dict:
        schemas: dict[str, dict] = {}

        def ref(model: type[BaseModel]) -> dict:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas[name] = definition
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        paths: dict[str, dict] = {}
        for op in self.operations:
            entry: dict = {"operationId": op.endpoint, "summary": op.summary, "responses": {}}
            parameters = [{"name": name, "in": "path", "required": True,
                           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                          for name in op.path_parameters]
            parameters += [{"name": name, "in": "query", "required": False, "schema": schema}
                           for name, schema in op.query.items()]
            if op.method != "GET":
                parameters.append({"name": "X-CSRFToken", "in": "header", "required": True,
                                   "schema": {"type": "string"}, "description": "From GET /csrf"})
            if parameters:
                entry["parameters"] = parameters
            if op.request is not None:
                entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.request)}}}
            elif op.multipart is not None:
                entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": op.multipart, "required": list(op.multipart),
                    "additionalProperties": False}}}}
            # What any operation may answer besides its own: no session, or no permission; a change
            # without a valid CSRF token.
            common = {401: ("Not logged in, or the session ended", Error), 403: ("Not allowed", Error)}
            if op.method != "GET":
                common[400] = ("Invalid request, or a missing or expired CSRF token", Error)
            for status, (description, model) in sorted({**common, **op.responses}.items()):
                response: dict = {"description": description}
                if model is not None:
                    response["content"] = {"application/json": {"schema": ref(model)}}
                entry["responses"][str(status)] = response
            paths.setdefault(self.prefix + op.path, {})[op.method.lower()] = entry
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": title, "version": version,
                     "description": "The JSON API the tablets use. Session cookie authentication, as the pages "
                                    "(401 without a session, before anything else is checked); every change "
                                    "needs the X-CSRFToken header. Timestamps are RFC 3339 in UTC: "
                                    "2026-11-28T02:15:00Z."},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            },
            "security": [{"session": []}],
        }
