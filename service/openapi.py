"""The OpenAPI document tells the truth about errors, so generated clients and fuzzers can work
from it.

FastAPI documents only the success answer and its own 422. `install_openapi` completes every
operation of the document with the error answers the service gives, each with the body
`service.errors` shapes (`ErrorRead`: `{"detail": "..."}`, or `ValidationErrorRead` for 422):

- 401, 403: operations with a security requirement (every route behind `require_role`);
- 404: operations with a path parameter; a route whose body names something declares it;
- 409: where the route declares it (`ConflictError`);
- 400, 413: operations with a request body (not JSON at all; `service.middleware.body_limit`);
- 422: operations with parameters or a body (validation, `FieldError`);
- 429: where the route declares it (sign-in, password change: `TooManyRequestsError`);
- 503: every operation under `/v1` (a database error, a refused access-log append).

A route declares what only it knows with `responses=error_responses(409, ...)`; the rest
follows from the operation's shape, so a new route is documented without anyone remembering.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import FastAPI

from service.errors import ErrorRead, ValidationErrorRead

#: The reason phrase of each error status as the document describes it.
ERROR_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "The request could not be read (malformed JSON, a wrong content type).",
    401: "No valid bearer token (missing, expired, revoked or not ours).",
    403: "The user's role or district may not use this operation, or the user must change "
    "their one-time password first.",
    404: "What the path or body names does not exist (the answer never repeats the value).",
    409: "Conflicts with the stored state (see the message).",
    413: "The request body is larger than the limit named in the answer.",
    422: "Invalid input: each error names the field (`loc`), what was expected (`msg`) and the "
    "error type, never the value that came.",
    429: "Too many attempts: retry after `Retry-After` seconds.",
    503: "The database could not complete the request, or the access log refused an append; "
    "retry (with the same `Idempotency-Key` for a submission).",
}
_HEADERS: Final[dict[int, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`."}},
    429: {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before the next attempt.",
        }
    },
}
_REF: Final = "#/components/schemas/{model}"


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses only the route knows it answers (409, 429,
    a 404 without a path parameter), with the error body model and a description."""
    return {
        code: {
            "model": ValidationErrorRead if code == 422 else ErrorRead,
            "description": ERROR_DESCRIPTIONS[code],
        }
        for code in codes
    }


def _codes_for(path: str, operation: dict[str, Any]) -> set[int]:
    codes: set[int] = set()
    if operation.get("security"):
        codes |= {401, 403}
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        codes.add(404)
    if "requestBody" in operation:
        codes |= {400, 413, 422}  # 400: a body that is not JSON (or not UTF-8) at all
    if parameters:
        codes.add(422)
    if path.startswith("/v1/"):
        codes.add(503)
    return codes


def _content(code: int) -> dict[str, Any]:
    model = ValidationErrorRead if code == 422 else ErrorRead
    return {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}


def _fastapi_default(content: dict[str, Any] | None) -> bool:
    """True for no content, or FastAPI's generated validation error body."""
    if not content:
        return True
    schema = content.get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every operation of `document` (in place; returned)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorRead, ValidationErrorRead):
        generated = model.model_json_schema(ref_template=_REF)
        schemas.update(generated.pop("$defs", {}))
        schemas[model.__name__] = generated
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if str(code).isdigit()}
            for code in sorted(declared | _codes_for(path, operation)):
                if code < 400:
                    continue
                response = responses.setdefault(
                    str(code), {"description": ERROR_DESCRIPTIONS.get(code, "Error.")}
                )
                # A response declared by description only would leave its body unchecked, and
                # FastAPI's own 422 schema (`HTTPValidationError`) describes `input` and `ctx`,
                # which our bodies never carry. A route's own error model is kept.
                if _fastapi_default(response.get("content")):
                    response["content"] = _content(code)
                if code in _HEADERS:
                    response.setdefault("headers", _HEADERS[code])
            operation["responses"] = dict(sorted(responses.items()))
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"{_REF.format(model=name)}"' not in json.dumps(document):
            schemas.pop(name, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `document_errors(...)` of FastAPI's generated document as `/openapi.json`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
