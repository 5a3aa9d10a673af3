"""ASGI middleware that refuses a request before the app sees it: a Host name the server does
not answer to (403), a request head over the size limit (431).

The Host check guards against DNS rebinding, for a server on this machine only.

A web page can make a browser send requests to 127.0.0.1 under the page's own domain name once
that name is re-pointed at 127.0.0.1 (DNS rebinding); the browser then treats the answers as the
page's own. Such requests carry the page's name in their Host header, so a server bound to a
loopback address answers only requests addressed to an IP address, ``localhost`` (or a name
under it), its bound host, or a name allowed with ``--allow-host``. A server bound to another
address is meant to be reached by any name the network gives it; there the check applies only
when names are allowed explicitly. The token is the protection either way; this keeps a
``--no-token`` loopback server out of reach of web pages.
"""

import ipaddress
import json
import re

from .settings import is_loopback


def host_name(header):
    """The host part of a Host header value, lower case ("" when there is none).

    "[::1]:8765" -> "::1", "Example.COM.:80" -> "example.com".
    """
    text = (header or "").strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else text[1:]
    if text.count(":") == 1:
        text = text.partition(":")[0]
    return text.rstrip(".")


def host_allowed(name, bound, allowed=()):
    """True when a request addressed to ``name`` may be answered by a server bound to ``bound``.

    allowed : extra names (``--allow-host``).
    """
    names = {n.lower().rstrip(".") for n in allowed}
    if not name or name in names or name == bound.lower():
        return True
    if name == "localhost" or name.endswith(".localhost"):  # never looked up in DNS
        return True
    try:
        ipaddress.ip_address(name)
        return True  # a page can only reach an address by that address: no rebinding
    except ValueError:
        pass
    return not is_loopback(bound) and not names


# A serialized origin as browsers send it: scheme://host[:port], nothing else (no user, path,
# backslash or space that parsers read differently)
_ORIGIN = re.compile(r"(?i)^(?:https?|wss?)://(\[[0-9a-f:.]+\]|[a-z0-9._~-]+)(?::[0-9]{1,5})?$")


def origin_is_local(origin, allowed=()):
    """True when an ``Origin`` header names a page served from this machine (a loopback
    address, localhost) or from a name allowed with ``--allow-host``; "null", other schemes
    and anything that is not exactly an origin are not."""
    match = _ORIGIN.match(origin.strip())
    if match is None:
        return False
    name = match.group(1).strip("[]").lower()
    return is_loopback(name) or name in {n.lower().rstrip(".") for n in allowed}


async def refuse(scope, send, status, detail):
    """Answer ``status`` with a JSON ``detail``; a WebSocket handshake gets the same HTTP answer
    where the server can send one (else it is closed)."""
    prefix = "http."
    if scope["type"] == "websocket":
        if "websocket.http.response" not in scope.get("extensions", {}):
            return await send({"type": "websocket.close", "code": 1008})
        prefix = "websocket.http."
    body = json.dumps({"detail": detail}).encode()
    await send({"type": prefix + "response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": prefix + "response.body", "body": body})


class HostCheck:
    """ASGI middleware: 403 with a JSON ``detail`` for requests addressed to a foreign host name."""

    def __init__(self, app, bound, port, allowed=()):
        self.app = app
        self.bound, self.port, self.allowed = bound, port, tuple(allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {v for k, v in scope.get("headers", ()) if k == b"host"}
        name = host_name(next(iter(headers), b"").decode("latin-1"))
        if len(headers) > 1:  # parsers disagree on which one counts
            return await refuse(scope, send, 400, "a request carries one Host header; this one has several")
        if host_allowed(name, self.bound, self.allowed):
            return await self.app(scope, receive, send)
        shown = f"[{self.bound}]" if ":" in self.bound else self.bound
        await refuse(scope, send, 403, (
            f"this server does not answer requests addressed to {name!r} (a protection against "
            f"DNS rebinding): use http://{shown}:{self.port}, or start it with --allow-host {name}"))


def head_size(scope):
    """Bytes of a request's head as sent: request line and headers."""
    line = len(scope.get("method", "")) + len(scope.get("raw_path") or b"") \
        + len(scope.get("query_string") or b"") + 12
    return line + sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ()))


class HeadLimit:
    """ASGI middleware: 431 for a request head over ``limit`` bytes.

    The HTTP parser already stops buffering an incomplete head at the limit; a head that
    arrives whole in one read is measured here.
    """

    def __init__(self, app, limit):
        self.app, self.limit = app, int(limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and head_size(scope) > self.limit:
            return await refuse(scope, send, 431, (
                f"request head of {head_size(scope)} bytes is over the server's limit of "
                f"{self.limit // 1024} KiB; send fewer or shorter headers and a shorter URL"))
        return await self.app(scope, receive, send)
