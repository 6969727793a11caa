"""Limits enforced before a request body is parsed.

Size (413 ``payload_too_large``) and, for JSON bodies, nesting depth (400 ``json_too_deep``): py-evm,
imported through web3, lifts the recursion limit so far that a deeply nested body would crash the
process inside the C JSON parser instead of failing validation (see ``permitchain.json_nesting``).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from permitchain.json_nesting import MAX_JSON_DEPTH, nested_deeper_than


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` by header, and stop reading streamed bodies that grow past it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        await _send_problem(
            send, 413, "payload_too_large", f"the request body exceeds {self.max_bytes} bytes"
        )


class JsonNestingLimit:
    """Refuse JSON bodies that nest deeper than any request of this API needs, before FastAPI parses them.

    Install it inside :class:`BodySizeLimit` so the body it buffers is already bounded in size.
    """

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if scope["type"] != "http" or b"json" not in content_type.lower():
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if nested_deeper_than(body, self.max_depth):
            await _send_problem(
                send, 400, "json_too_deep", f"the JSON body nests deeper than {self.max_depth} levels"
            )
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


async def _send_problem(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(
        {"type": f"urn:permitchain:problem:{code}", "status": status, "code": code, "message": message}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
