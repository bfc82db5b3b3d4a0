"""CORS: the headers that let a page on another origin call the mock with ``fetch``.

Off by default, like an API that was never meant to be called from pages: a browser then
blocks the response (the page sees a network error, a "CORS error", never the status).
On — ``MockServer(cors=True)``, or the ``cors=1`` knob on one URL — an ``OPTIONS``
preflight to any path answers 204, and every other response says which origin may read
it and which of its headers.

Nothing is a wildcard: the origin and the requested method and headers are echoed. A
``*`` origin fails as soon as a page sends credentials, and ``*`` in
``Access-Control-Allow-Headers`` never covers ``Authorization``; echoing is what a real
server must do for a page that sends ``Authorization: Bearer …``, so the mock does it too.
Without an ``Origin`` header (a kernel's request, curl) there is no origin to allow: such
a response has ``Vary: Origin`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._faults import KnobError, parse_knobs

__all__ = ["NO_CORS", "Cors", "cors_for"]

#: Seconds a browser may keep a preflight's answer.
MAX_AGE = 600
#: Response headers a page may read besides the safelisted ones (Content-Type is one of
#: them, named anyway for clients that check the list): the retry hints of a 429 and the
#: request ids a bug report quotes.
EXPOSED_HEADERS = ("retry-after", "retry-after-ms", "x-request-id", "request-id", "content-type")
#: Methods every preflight allows; the requested one is added.
_METHODS = ("GET", "POST")

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Cors:
    """What CORS adds to one response."""

    #: Headers of the response, whatever its status.
    headers: Headers = ()
    #: The request is a preflight: answer 204 with ``headers`` and nothing else.
    preflight: bool = False


#: CORS off: nothing added.
NO_CORS = Cors()


def cors_for(
    method: str, query: Mapping[str, str], headers: Mapping[str, str], *, always: bool
) -> Cors:
    """The CORS answer to a request (``headers`` with lower-case names); ``always`` is
    the server's setting, otherwise the request's ``cors`` knob decides.

    >>> ask = {"origin": "http://a.test", "access-control-request-method": "PUT"}
    >>> cors_for("OPTIONS", {"cors": "1"}, ask, always=False).headers[2]
    ('Access-Control-Allow-Methods', 'GET, POST, PUT')
    >>> cors_for("GET", {}, ask, always=False)
    Cors(headers=(), preflight=False)
    """
    if not (always or _knob_on(query)):
        return NO_CORS
    origin = headers.get("origin")
    allowed: Headers = () if origin is None else (("Access-Control-Allow-Origin", origin),)
    vary = ("Vary", "Origin")
    if method == "OPTIONS":
        return Cors((*allowed, vary, *_preflight(headers)), preflight=True)
    if origin is None:
        return Cors((vary,))
    return Cors((*allowed, vary, ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS))))


def _knob_on(query: Mapping[str, str]) -> bool:
    if "cors" not in query:
        return False
    try:
        return parse_knobs({"cors": query["cors"]}).cors
    except KnobError:  # the actual request answers 400 for it (with no CORS headers)
        return False


def _preflight(headers: Mapping[str, str]) -> Headers:
    requested = headers.get("access-control-request-method", "").strip()
    methods = [*_METHODS, *([requested] if requested and requested not in _METHODS else [])]
    answer = [("Access-Control-Allow-Methods", ", ".join(methods))]
    # Echoed as asked (authorization, content-type, last-event-id…): see the docstring.
    if asked := headers.get("access-control-request-headers", "").strip():
        answer.append(("Access-Control-Allow-Headers", asked))
    answer.append(("Access-Control-Max-Age", str(MAX_AGE)))
    return tuple(answer)
