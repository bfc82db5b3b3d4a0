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

A size limit (``max_event_bytes``) bounds what one connection can make the decoder hold:
no line (without its end of line) and no event's data (its lines joined by LF) may be
larger, counted in UTF-8 bytes. The spec sets no limit; httpx-sse neither, so a server
that never sends a line feed grows its buffer until memory runs out. The check costs
nothing per line while the bytes held are far from the limit: each chunk only lowers a
byte budget, and sizes are measured exactly only once the budget runs out.

The checks on the response (status 200, Content-Type essence) live in ``_session.py``.
The event model itself is httpx-sse's ``ServerSentEvent`` (see ``_models.Event``).
"""

from __future__ import annotations

import codecs
import re
import sys

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

    With ``max_event_bytes``, a longer line or event sets ``exceeded`` (``"line"`` or
    ``"event"``); ``feed`` returns the events completed before it, then nothing more:

    >>> decoder = EventDecoder(max_event_bytes=10)
    >>> decoder.feed(b"data: a\\n\\ndata: 0123456789\\n\\ndata: b\\n\\n")
    [Event(event='message', data='a')]
    >>> decoder.exceeded
    'line'
    """

    __slots__ = (
        "_block_retry",
        "_data",
        "_data_bytes",
        "_event_type",
        "_id_buffer",
        "_limit",
        "_line_bytes",
        "_measuring",
        "_partial_line",
        "_room",
        "_skip_lf",
        "_started",
        "_text_decoder",
        "exceeded",
        "last_event_id",
        "max_event_bytes",
        "retry",
    )

    def __init__(self, last_event_id: str = "", *, max_event_bytes: int | None = None) -> None:
        #: The last event id string: updated when a block is dispatched (or would be).
        self.last_event_id = last_event_id
        #: The reconnection time in milliseconds from the last valid ``retry`` line.
        self.retry: int | None = None
        #: The largest line or event data accepted, in bytes; ``None`` for no limit.
        self.max_event_bytes = max_event_bytes
        #: ``"line"`` or ``"event"`` once one was larger than the limit, else ``""``.
        self.exceeded = ""
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
        self._limit = sys.maxsize if max_event_bytes is None else max_event_bytes
        # Bytes that may still be fed before anything held could pass the limit. What is
        # held (the partial line and the open block's data) grows by at most the bytes
        # fed, so the fast path only subtracts chunk lengths; when the room runs out, the
        # held sizes are measured and the room is given back (see _feed_measured).
        # (Invalid UTF-8 is the exception: a replaced byte measures 3, so a body of them
        # can hold up to three times the limit before it is measured.)
        self._room = self._limit
        # Exact sizes, kept only while measuring (see _feed_measured).
        self._measuring = False
        self._line_bytes = 0
        self._data_bytes = 0

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse the next bytes of the body; return the events they complete, in order."""
        room = self._room = self._room - len(chunk)
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
        if room < 0:
            return self._feed_measured(text)
        if "\n" not in text and "\r" not in text:
            # Mid-line: keep the piece; joining once per line keeps huge events linear.
            self._partial_line.append(text)
            return []
        if self._partial_line:
            self._partial_line.append(text)
            text = "".join(self._partial_line)
        lines = self._split_lines(text)
        last = lines.pop()
        self._partial_line = [last] if last else []
        return self._interpret(lines)

    def _split_lines(self, text: str) -> list[str]:
        """``text`` cut at every line end; the last item is the unfinished line. A CR at
        the very end may be half of a CRLF: the next chunk's leading LF is skipped."""
        if "\r" in text:
            self._skip_lf = text[-1] == "\r"
            return _LINE_BREAK.split(text)
        return text.split("\n")

    def _feed_measured(self, text: str) -> list[Event]:
        """``feed`` once the room ran out: line by line, with exact sizes.

        Measuring stays on while more than half the limit is held; below that the room
        is given back, so the cost of measuring what is held on entry is spread over at
        least half a limit of bytes fed.
        """
        if self.exceeded:
            return []
        limit = self._limit
        partial = self._partial_line
        data = self._data
        if not self._measuring:
            self._measuring = True
            self._line_bytes = sum(map(_utf8_size, partial))
            # One byte per line for the LF that joins it to the next (one too many).
            self._data_bytes = sum(map(_utf8_size, data)) + len(data)
        if "\n" not in text and "\r" not in text:
            self._line_bytes += _utf8_size(text)
            if self._line_bytes > limit:
                return self._exceed("line", [])
            partial.append(text)
            return self._settle()
        lines = self._split_lines(text)
        last = lines.pop()
        events: list[Event] = []
        if self._line_bytes + _utf8_size(lines[0]) > limit:
            return self._exceed("line", events)
        if partial:
            partial.append(lines[0])
            lines[0] = "".join(partial)
            partial.clear()
        for index, line in enumerate(lines):
            if index and _utf8_size(line) > limit:
                return self._exceed("line", events)
            held = len(data)
            events += self._interpret([line])
            if not data:
                self._data_bytes = 0
            elif len(data) > held:
                self._data_bytes += _utf8_size(data[-1]) + 1
                if self._data_bytes - 1 > limit:
                    return self._exceed("event", events)
        self._line_bytes = _utf8_size(last)
        if self._line_bytes > limit:
            return self._exceed("line", events)
        if last:
            partial.append(last)
        self._settle()
        return events

    def _settle(self) -> list[Event]:
        held = self._line_bytes + self._data_bytes
        if held <= self._limit // 2:
            self._measuring = False
            self._room = self._limit - held
        else:
            self._room = -1  # the next chunk is measured too
        return []

    def _exceed(self, what: str, events: list[Event]) -> list[Event]:
        self.exceeded = what
        self._room = -1
        # What was held is useless now: free it before the caller raises.
        self._partial_line = []
        self._data.clear()
        return events

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


def _utf8_size(text: str) -> int:
    # isascii() is O(1) in CPython, so measuring ASCII text costs no copy.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
