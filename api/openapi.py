"""The OpenAPI document says what the API really answers on errors: RFC 9457 problem
details as ``application/problem+json`` (``api.problems`` builds every one of them).

FastAPI documents declared error responses with no body at all, and its 422 as a JSON
``HTTPValidationError`` this API never sends. Client generators and contract testers
read the document, so each error response (status >= 400) gets the ``Problem`` schema
under ``application/problem+json`` instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# What a route's ``responses=`` takes (FastAPI's own parameter type). The routes' shared
# dicts are annotated with it: a bare literal infers ``dict[int, dict[str, str]]``, which
# the (invariant) parameter type refuses.
Responses = dict[int | str, dict[str, Any]]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `code` is stable: branch on it, not on "
    "`detail` (meant for people). Some problems add members (`errors` on 422, `seats`).",
    "type": "object",
    "properties": {
        "type": {"type": "string", "default": "about:blank"},
        "title": {"type": "string", "examples": ["Conflict"]},
        "status": {"type": "integer", "examples": [409]},
        "detail": {"type": "string", "examples": ["Seat A-1-1 is not available."]},
        "code": {"type": "string", "examples": ["seat_unavailable"]},
        "instance": {"type": "string", "examples": ["/v1/tickets/reserve"]},
        "errors": {
            "type": "array",
            "description": "422 only: what was wrong, where",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code", "instance"],
    "additionalProperties": True,
}
UNUSED = ("HTTPValidationError", "ValidationError")  # FastAPI's 422 body, never sent


def _document_problems(schema: dict[str, Any]) -> None:
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in UNUSED:
        components.pop(name, None)
    components["Problem"] = PROBLEM_SCHEMA


def install_problem_documentation(app: FastAPI) -> None:
    """Post-process the generated document once, when it is first asked for."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_problems(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
