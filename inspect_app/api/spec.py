"""The API's operations, registered once and described from the same registration.

Each view is declared with `@operation(...)`, which routes it and records its request, query and response models
(pydantic). `/api/v1/openapi.json` is built from that record, so the document cannot drift from the code; a test
walks the URL map against it as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint
from pydantic import BaseModel

from ..ids import MAX_ID
from ..problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from ..problems import PROBLEM_TYPES

OPENAPI_VERSION = "3.1.0"


class Problem(BaseModel):
    """Every error the API answers, as RFC 9457 problem details: `error` is a code for programs, `detail` (and
    `message`, the same) says what went wrong in the user's language."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
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
    csv: bool = False  # the body may also be text/csv
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    public: bool = False

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


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """The query string's parameters, from a model of optional fields (a query string holds no nulls)."""
    schema = model.model_json_schema()
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        entry = {k: v for k, v in (options[0] if len(options) == 1 else {"anyOf": options}).items() if k != "title"}
        for key in ("description", "default"):
            if key in prop and prop[key] is not None:
                entry.setdefault(key, prop[key])
        description = entry.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": entry}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


class Registry:
    def __init__(self, blueprint: Blueprint, prefix: str):
        self.blueprint = blueprint
        self.prefix = prefix
        self.operations: list[Operation] = []

    def operation(self, method: str, rule: str, *, summary: str, request: type[BaseModel] | None = None,
                  multipart: dict[str, dict] | None = None, csv: bool = False,
                  query: type[BaseModel] | None = None, public: bool = False,
                  responses: dict[int, tuple[str, type[BaseModel] | None]]) -> Callable:
        def decorator(view: Callable) -> Callable:
            self.operations.append(Operation(method, rule, view.__name__, summary, request, multipart, csv,
                                             responses, query, public))
            self.blueprint.add_url_rule(rule, view_func=view, methods=[method])
            return view

        return decorator

    def document(self, title: str, version: str, description: str) -> dict:
        schemas: dict[str, dict] = {}

        def ref(model: type[BaseModel]) -> dict:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas[name] = definition
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}

        paths: dict[str, dict] = {}
        for op in self.operations:
            paths.setdefault(self.prefix + op.path, {})[op.method.lower()] = self._entry(op, ref)
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": title, "version": version, "description": description},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "session": {"type": "apiKey", "in": "cookie", "name": "session",
                                "description": "The pages' login; every change needs the X-CSRFToken header."},
                    "bearer": {"type": "http", "scheme": "bearer",
                               "description": "An API token (bmjc_…), issued by the secadmin to a named client."},
                },
            },
            "security": [{"session": []}, {"bearer": []}],
            "x-problem-types": {code: {"title": title, "description": text}
                                for code, (title, text) in PROBLEM_TYPES.items()},
        }

    def _entry(self, op: Operation, ref: Callable[[type[BaseModel]], dict]) -> dict:
        entry: dict = {"operationId": op.endpoint, "summary": op.summary, "responses": {}}
        if op.public:
            entry["security"] = []
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                      for name in op.path_parameters]
        if op.query is not None:
            parameters += query_parameters(op.query)
        if op.method != "GET":
            parameters.append({"name": "X-CSRFToken", "in": "header", "required": False,
                               "schema": {"type": "string"},
                               "description": "With a session cookie: from GET /csrf. Not with a bearer token."})
        if parameters:
            entry["parameters"] = parameters
        if op.request is not None:
            content = {"application/json": {"schema": ref(op.request)}}
            if op.csv:
                content["text/csv"] = {"schema": {"type": "string"}}
            entry["requestBody"] = {"required": True, "content": content}
        elif op.multipart is not None:
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": op.multipart, "required": list(op.multipart),
                "additionalProperties": False}}}}
        # What any operation may answer besides its own: no login, or no permission; a change with a session
        # but without a valid CSRF token; too many requests from one token.
        common: dict[int, tuple[str, type[BaseModel] | None]] = {}
        if not op.public:
            common = {401: ("Not logged in, the session ended, or the bearer token is refused", Problem),
                      403: ("Not allowed", Problem), 429: ("Too many requests from this token", Problem)}
        if op.method != "GET":
            common[400] = ("Invalid request, or a missing or expired CSRF token", Problem)
        for status, (description, model) in sorted({**common, **op.responses}.items()):
            response: dict = {"description": description}
            if model is not None:
                media_type = PROBLEM_MEDIA_TYPE if model is Problem else "application/json"
                response["content"] = {media_type: {"schema": ref(model)}}
            entry["responses"][str(status)] = response
        return entry
