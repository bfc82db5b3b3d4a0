"""Bytes of one ``text/event-stream`` body to events, by the WHATWG rules.

``EventDecoder`` is sans-I/O: feed it the body's bytes in chunks of any size and it returns
the events dispatched so far. One decoder parses one connection; the connection loop
carries the last event id from one decoder to the next.

This replaces httpx-sse's ``EventSource.aiter_sse`` parsing, which deviates from the
WHATWG HTML "Server-sent events" section (9.2) in ways a user can see. What we correct:

1. **BOM**: one leading U+FEFF is stripped from every connection's stream. httpx-sse
   keeps it, so the first field name becomes ``"\\ufeffdata"`` and the event is lost.
2. **Blocks without data**: a block with no ``data`` line dispatches nothing (``data:``
   with an empty value does). httpx-sse dispatches an empty event for a block holding only
   ``id``, ``event`` or ``retry``. Such a block's ``id`` still becomes the last event id.
3. **Encoding**: the body is always UTF-8 with replacement characters. httpx-sse decodes
   with the ``charset`` of the Content-Type (a server saying ``latin-1`` garbles text).
4. **retry**: only ASCII digits are accepted (httpx-sse's ``int()`` takes ``" 5"``,
   ``"+5"``, ``"-5"``, ``"5_0"`` and non-ASCII digits), and the reconnection time changes
   when the line is read, even in a block that is never dispatched.
5. **Last event id**: persists across events *and connections*: a new connection's
   parser starts from the id the previous one ended with, as browsers do (Chromium and
   Firefox hand it to the new parser), so an event without ``id`` after a reconnect still
   reports the id the stream resumed from. An id containing U+0000 is ignored.
6. **End of line**: a chunk that ends in CR dispatches at once. httpx-sse holds a
   trailing CR back until more bytes arrive (to see whether LF follows), which delays an
   event of a CR-terminated stream until the *next* event is sent.
7. **End of stream**: an unterminated last line is discarded, as is the incomplete block.
   httpx-sse parses it as a line, so a final ``id: 9`` without newline moves the id.

The checks on the response (status 200, Content-Type essence) live in ``_session.py``.
The event model itself is httpx-sse's ``ServerSentEvent`` (see ``_models.Event``).
"""

from __future__ import annotations

import codecs
import re

from ._models import Event

__all__ = ["EventDecoder"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class EventDecoder:
    """Incremental WHATWG event-stream parser for one connection.

    >>> decoder = EventDecoder()
    >>> decoder.feed(b"id: 1\\ndata: hel")
    []
    >>> decoder.feed(b"lo\\n\\n")
    [Event(event='message', data='hello', id='1')]
    """

    __slots__ = (
        "_block_retry",
        "_data",
        "_event_type",
        "_id_buffer",
        "_partial_line",
        "_skip_lf",
        "_started",
        "_text_decoder",
        "last_event_id",
        "retry",
    )

    def __init__(self, last_event_id: str = "") -> None:
        #: The last event id string: updated when a block is dispatched (or would be).
        self.last_event_id = last_event_id
        #: The reconnection time in milliseconds from the last valid ``retry`` line.
        self.retry: int | None = None
        # The spec's "last event ID buffer" is self._id_buffer; it starts from the persisted
        # id (correction 5) and is only published to last_event_id on dispatch.
        self._id_buffer = last_event_id
        self._data: list[str] = []
        self._event_type = ""
        self._block_retry: int | None = None
        self._partial_line: list[str] = []
        self._skip_lf = False
        self._started = False
        self._text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse the next bytes of the body; return the events they complete, in order."""
        text = self._text_decoder.decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_lf:
            # The previous chunk ended in CR; an LF here completes that CRLF.
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        if "\n" not in text and "\r" not in text:
            # Mid-line: keep the piece; joining once per line keeps huge events linear.
            self._partial_line.append(text)
            return []
        if self._partial_line:
            self._partial_line.append(text)
            text = "".join(self._partial_line)
        if "\r" in text:
            lines = _LINE_BREAK.split(text)
            self._skip_lf = text[-1] == "\r"
        else:
            lines = text.split("\n")
        last = lines.pop()
        self._partial_line = [last] if last else []
        return self._interpret(lines) if lines else []

    def _interpret(self, lines: list[str]) -> list[Event]:
        events: list[Event] = []
        data = self._data
        for line in lines:
            if not line:
                # Dispatch (spec 9.2.6): publish the id even when nothing is dispatched.
                self.last_event_id = self._id_buffer
                if data:
                    events.append(
                        Event(
                            self._event_type or "message",
                            "\n".join(data),
                            self._id_buffer,
                            self._block_retry,
                        )
                    )
                    data.clear()
                self._event_type = ""
                self._block_retry = None
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                self._event_type = value
            elif name == "id":
                if "\x00" not in value:
                    self._id_buffer = value
            elif name == "retry" and value.isdigit() and value.isascii():
                self.retry = self._block_retry = int(value)
            # Comments (name == "") and unknown fields are ignored.
        return events
