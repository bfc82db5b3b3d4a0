"""Credentials out of anything shown: URLs in messages, in the widget's header, in logs."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = ["REDACTED", "is_secret_name", "redact_url"]

REDACTED = "***"

# Parameter and header names that carry credentials: api_key, access_token, X-Amz-Signature,
# X-Amz-Credential, client_secret, password, sig, auth, session ids...
_SECRET_NAME = re.compile(
    r"key|token|secret|passw|pwd|signature|^sig$|auth|credential|session|cookie",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or header called ``name`` likely carries a credential."""
    return _SECRET_NAME.search(name) is not None


def redact_url(url: str) -> str:
    """``url`` with its userinfo and the values of credential-like parameters replaced.

    >>> redact_url("https://user:pw@api.example.com/v1?api_key=sk-123&model=gpt#top")
    'https://***@api.example.com/v1?api_key=***&model=gpt#top'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rpartition("@")[2]
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_pair(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    if sep and is_secret_name(unquote_plus(name)):
        return f"{name}={REDACTED}"
    return pair
