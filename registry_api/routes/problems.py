"""The ONE place errors become HTTP problem responses (RFC 7807 style, always with a ``code``).

Registry errors carry their status and code; schema errors answer 422 with ``validation_failed`` and
the field locations; anything unexpected is logged server-side and answers a bare 500, never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from permitchain.errors import PermitChainError
from registry_api.exceptions import RegistryError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"urn:permitchain:problem:{code}",
        "status": status,
        "code": code,
        "message": message,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def registry_error(_request: Request, exc: RegistryError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = problem(exc.status, exc.code, exc.message)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(PermitChainError)
    async def other_package_error(_request: Request, exc: PermitChainError) -> JSONResponse:
        return problem(400, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "message": e.get("msg")}
            for e in exc.errors()
        ]
        return problem(422, "validation_failed", "the request does not match the schema", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, f"http_{exc.status_code}", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal_error", "an internal error occurred; it has been logged")
