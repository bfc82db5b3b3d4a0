"""A deterministic, fault-injecting Server-Sent Events mock server, inside this process.

``MockServer`` is a real HTTP/1.1 server on ``127.0.0.1`` (an ephemeral port by default),
served from daemon threads of the current process, so it also runs inside a Jupyter
kernel. It imitates the streaming APIs of OpenAI (Chat Completions and Responses),
Anthropic, Google Gemini and the Vercel AI SDK's UI message stream, plus two generic
streams. An answer can think first and call tools, and every stream can be slowed down,
cut, broken or garbled with query parameters ("knobs"). The same request always gives
the same bytes: no timestamps, no random ids. The official ``openai`` and ``anthropic``
SDKs parse every stream shape without a field they model left unset.

Usage
-----

.. code-block:: python

    from sse_widget.mock import MockServer

    with MockServer() as mock:                    # or: mock = MockServer().start() ... mock.stop()
        url = mock.url_for("/stream", delay=0.02, drop_after=5)
        ...                                       # stream from url with any client
        request = mock.requests[-1]               # what the server received and did
        request.ended.wait(1)
        assert request.outcome == "dropped" and request.events_sent == 5

From a shell: ``python -m sse_widget.mock --port 8765`` prints
``sse_widget mock server on http://127.0.0.1:8765`` and serves until Ctrl-C
(``--port 0`` picks a free port; ``--host`` accepts loopback addresses only; ``--cors``
as ``cors=True`` below). Then::

    curl -N 'http://127.0.0.1:8765/stream?delay=0.1&drop_after=5'
    curl -N http://127.0.0.1:8765/v1/chat/completions \\
         -d '{"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}'

``GET /`` answers a short plain-text version of this reference.

The server
----------

- ``MockServer(host="127.0.0.1", port=0, *, cors=False)`` (``cors``: see the knob);
  ``start()`` returns the server, ``stop()`` ends every running response (an endless feed
  too) within milliseconds, frees the port, joins the threads and is idempotent.
  ``with MockServer() as mock:`` does both.
- ``mock.url`` is the base URL (``http://127.0.0.1:54321``), ``mock.port`` the port, and
  ``mock.url_for(path, **knobs)`` a URL with knobs as query parameters (booleans as 1/0;
  an unknown knob or a bad value raises ``ValueError``).
- ``mock.requests`` lists a ``RecordedRequest`` per request, in order: ``method``,
  ``path``, ``query`` (dict), ``headers`` (dict, lower-case names), ``body`` (bytes),
  ``json`` (the parsed body or ``None``), ``events_sent`` (updated live), ``outcome``
  (``None`` while running, then ``"complete"``, ``"disconnected"`` — the client left,
  noticed within milliseconds even during a long delay —, ``"dropped"`` — ``drop_after``
  cut it —, ``"status"`` — an error status, no stream —, or ``"stopped"`` — ``stop()``
  ended it), ``ended`` (a ``threading.Event``) and ``ended_at`` (``time.monotonic()``).
- ``mock.errors`` lists unexpected exceptions inside the server (always empty, unless
  the mock has a bug). The server writes nothing to stdout or stderr.

Streams are sent with ``Transfer-Encoding: chunked``, ``Content-Type: text/event-stream``
and ``Cache-Control: no-store``, one stream per connection (``Connection: close``). A
normal end sends the terminating chunk; a drop closes the connection without it, so a
client can tell a cut body from a complete one. ``stop()`` ends streams cleanly.

Endpoints
---------

Answers are split into word-like tokens that keep their leading whitespace
(``"Hello world"`` → ``"Hello"``, ``" world"``); joined, they give the text back. Ids are
derived from the request body (``chatcmpl-mock-<12 hex of its sha256>``), ``created`` is
always 1700000000. A body that is not a JSON object counts as ``{}``. The OpenAI
endpoints send an ``x-request-id`` header and the Anthropic one ``request-id``
(``req_mock_<24 hex>``, derived from the request: the same request, the same id).

``POST /v1/chat/completions`` — OpenAI Chat Completions
    Body ``{"model", "messages", "stream", "stream_options": {"include_usage"}}``. Without
    ``"stream": true`` the answer is a ``chat.completion`` JSON object with ``usage``.
    Streaming: ``data: <chunk>`` events only (no ``event:`` lines), each with ``id``,
    ``object``, ``created``, ``model`` (the request's, default ``mock-gpt``),
    ``service_tier`` and ``system_fingerprint``: a first chunk with ``"delta": {"role":
    "assistant", "content": "", "refusal": null}``, one chunk per token with ``"delta":
    {"content": token}``, a chunk with ``"delta": {}`` and ``"finish_reason": "stop"``;
    with ``include_usage`` every chunk has ``"usage": null`` and one more chunk has
    ``"choices": []`` and ``"usage": {"prompt_tokens", "completion_tokens",
    "total_tokens", "prompt_tokens_details": {"cached_tokens", "audio_tokens"},
    "completion_tokens_details": {"reasoning_tokens", "audio_tokens",
    "accepted_prediction_tokens", "rejected_prediction_tokens"}}``; finally
    ``data: [DONE]``.

    ``reasoning=1``: the first chunk is ``{"role": "assistant", "content": null,
    "reasoning_content": ""}``, then one ``{"content": null, "reasoning_content": token}``
    chunk per reasoning token before the answer (DeepSeek, vLLM, Qwen);
    ``reasoning=openrouter``: ``{"content": "", "reasoning": token}`` instead (OpenRouter,
    Ollama; OpenRouter's ``reasoning_details`` are not sent). ``tools=N``: like OpenAI's
    models, no answer text (``"content": null``): the first call rides on the role chunk
    (``"tool_calls": [{"index": 0, "id": "call_mock_…_0", "type": "function",
    "function": {"name", "arguments": ""}}]``; after reasoning, in a chunk of its own),
    then its arguments in 8-character pieces (``{"tool_calls": [{"index": 0, "function":
    {"arguments": piece}}]}``), then the next call; ``finish_reason`` is ``tool_calls``.
``POST /v1/responses`` — OpenAI Responses
    Body ``{"model", "input" (a string or a list of messages), "stream", "tools",
    "tool_choice", "parallel_tool_calls", "instructions", "max_output_tokens"}``.
    Streaming: every event has an ``event:`` line equal to its JSON ``"type"`` and a
    ``"sequence_number"`` counting from 0: ``response.created``,
    ``response.in_progress``, ``response.output_item.added`` (the message),
    ``response.content_part.added``, one ``response.output_text.delta`` per token (with
    ``"logprobs": []``), ``response.output_text.done``, ``response.content_part.done``,
    ``response.output_item.done``, ``response.completed``. The response object has every
    field of the API reference (``parallel_tool_calls``, ``tool_choice``, ``tools`` —
    the request's, else the mock's —, ``reasoning``, ``text``, ``store``…) and, once
    done, ``usage`` with ``input_tokens_details`` (``cached_tokens``,
    ``cache_write_tokens``) and ``output_tokens_details.reasoning_tokens``. Without
    ``"stream": true``: the response object as JSON.

    ``reasoning=1``: first a ``reasoning`` item (``rs_mock_…``): ``output_item.added``
    with ``"summary": []``, ``response.reasoning_summary_part.added``, one
    ``response.reasoning_summary_text.delta`` per token, ``…text.done``, ``…part.done``,
    ``output_item.done`` with the summary. ``tools=N``: no message; per call a
    ``function_call`` item: ``output_item.added`` (``id`` ``fc_mock_…``, ``call_id``
    ``call_mock_…``, ``name``, ``"arguments": ""``, ``in_progress``), one
    ``response.function_call_arguments.delta`` per piece, ``….done`` with the
    arguments, ``output_item.done``.
``POST /v1/messages`` — Anthropic Messages
    Body ``{"model", "max_tokens", "messages", "system", "stream"}``. Streaming, each event
    with an ``event:`` line: ``message_start`` (``usage`` with ``input_tokens``,
    ``cache_creation_input_tokens``, ``cache_read_input_tokens``, ``output_tokens``,
    ``service_tier``), ``content_block_start``, ``ping``, one ``content_block_delta`` per
    token (a ``ping`` after every 20th delta), ``content_block_stop``, ``message_delta``
    (``stop_reason`` ``end_turn``, ``usage.output_tokens``), ``message_stop``. Without
    ``"stream": true``: the message object as JSON. The model is the request's (default
    ``mock-claude``); the ``request-id`` header names the response.

    ``reasoning=1``: block 0 is ``{"type": "thinking", "thinking": "", "signature": ""}``
    with one ``thinking_delta`` per token and one ``signature_delta``; the text is the
    next block. ``tools=N``: like Claude, a short sentence first (``Let me look that
    up.``, or ``text``), then per call a ``tool_use`` block (``{"id": "toolu_mock_…",
    "name", "input": {}}``) whose ``input_json_delta`` pieces (the first one empty) make
    its JSON; ``stop_reason`` is ``tool_use``.
``POST /v1beta/models/{model}:streamGenerateContent`` — Google Gemini
    Any model name in the path; body ``{"contents": [{"role", "parts": [{"text"}]}]}``.
    With ``?alt=sse``: one ``data:`` event per GenerateContentResponse, lines ending in
    CRLF and JSON spaced as Google's servers write it: ``{"candidates": [{"content":
    {"parts": [{"text": token}], "role": "model"}, "index": 0}], "usageMetadata":
    {"promptTokenCount", "candidatesTokenCount", "totalTokenCount",
    "promptTokensDetails"}, "modelVersion": model, "responseId"}`` per token, the last
    with ``"finishReason": "STOP"``; no end marker. Without ``alt=sse``: the same
    objects as one JSON array (not streamed; knobs that shape the wire do not apply).
    ``reasoning=1``: ``{"text": token, "thought": true}`` parts first, counted in
    ``thoughtsTokenCount``. ``tools=N``: a short sentence, then one chunk with the
    ``{"functionCall": {"name", "args": {...}}}`` parts (no id, as Gemini sends them;
    the first signed with ``thoughtSignature`` after reasoning) and ``STOP``. A
    mid-stream error (``error_after``) is ``{"error": {"code": 503, "message", "status":
    "UNAVAILABLE"}}``; ``status=CODE`` answers Google's error shape (a 429 says when to
    retry in ``details``, not in a header).
``POST /api/chat`` — Vercel AI SDK UI message stream (what ``useChat`` posts to)
    Body ``{"messages": [{"id", "role", "parts": [{"type": "text", "text"}]}]}``. The
    response has the ``x-vercel-ai-ui-message-stream: v1`` header; events are
    ``data: {"type": ...}`` only: ``start`` (``messageId``), ``start-step``,
    ``text-start`` / one ``text-delta`` per token / ``text-end`` (``id`` ``text-1``,
    ``delta``), ``finish-step``, ``finish`` (``finishReason`` ``stop``), ``data: [DONE]``.
    ``reasoning=1``: ``reasoning-start`` / ``reasoning-delta`` / ``reasoning-end`` (``id``
    ``reasoning-0``) first. ``tools=N``: a short sentence, then per call
    ``tool-input-start`` (``toolCallId``, ``toolName``), ``tool-input-delta``
    (``inputTextDelta``) per piece, ``tool-input-available`` (``input``: the object);
    ``finishReason`` ``tool-calls``. A mid-stream error (``error_after``) is ``{"type":
    "error", "errorText": "An error occurred."}`` then ``[DONE]``.
``GET /stream`` (or ``POST``) — generic text stream
    One ``data: <token>`` event per token of a fixed English paragraph
    (``sse_widget.mock._streams.PARAGRAPH``), then a clean end. ``count=N``: exactly N
    events, cycling through the tokens (``count=100000`` for benchmarks).
    ``event=NAME``: every event has ``event: NAME``.
``GET /feed`` (or ``POST``) — endless live feed
    ``id: n`` and ``data: {"n":n,"tick":"tick n"}`` for n = 1, 2, 3…, one every
    ``interval=S`` seconds (default 1; ``delay`` is an alias), the first at once. Resumes
    from the ``Last-Event-ID`` header: after ``Last-Event-ID: 41`` the first event is
    n = 42. ``limit=N`` ends the stream cleanly after n = N. ``event=NAME`` as above.
``GET /``
    A plain-text list of the endpoints and knobs.

Query parameters named like credentials (``api_key``, ``access_token``, ``key``,
``signature``…) are accepted and ignored, as a real API would check them. Any other path
answers 404, a method an endpoint does not take 405, and an unknown knob or a bad knob
value 400, each with a JSON body ``{"error": {"message", "type", ...}}``.

The answer of the provider endpoints
    By default (``reply=markdown``) a markdown document made from the last user message:
    a ``#`` heading, ``##`` sections, a paragraph quoting the prompt, a bulleted list, a
    fenced ``python`` code block and a closing sentence (80 to 130 tokens).
    ``reply=echo`` answers the last user message verbatim. ``text=TEXT`` answers exactly
    ``TEXT`` (on every endpoint). The reasoning (``reasoning=1``) is a bold title and a
    short plan quoting the prompt; the tools (``tools=N``) are ``get_weather`` with
    ``{"city": "Paris", "unit": "celsius"}`` and ``get_time`` with ``{"timezone":
    "Europe/Paris"}``. Usage counts: prompt tokens are the whitespace-separated words of
    all messages' text; completion (output) tokens are the reasoning tokens plus the
    answer tokens plus the tool arguments' pieces; reasoning tokens are reported apart
    where the API has a field for them.

Knobs
-----

Query parameters, honoured by every streaming endpoint (they work on the provider
endpoints too: the body is the API's, the query string is the mock's). Booleans accept
``1``/``0`` (or ``true``/``false``).

``delay=S``
    Seconds between events (``/feed``: its interval, default 1). Without it events are
    written in batches of about 64 KB, as fast as the client reads.
``rate=N``
    Pace the events at N per second, the way a fast model streams: event i falls due at
    i / N seconds, and whatever is due is written together (``rate=20000`` is 20,000
    tokens per second without 20,000 writes per second).
``first_delay=S``
    Seconds before the first event. The headers are sent at once.
``drop_after=N``
    After N events of this response (every event with data counts, provider pings and
    the first role chunk too), close the connection without the terminating chunk. A
    client sees a broken body (httpx: ``RemoteProtocolError``). ``0`` cuts right after
    the headers.
``error_after=N``
    After N text tokens, send the provider's own mid-stream error and end cleanly:
    Anthropic ``event: error`` with ``{"type":"error","error":{"type":"overloaded_error",
    "message":"Overloaded"}}``; Chat Completions ``data: {"error":{"message":"The server
    had an error while processing your request.","type":"server_error","param":null,
    "code":null}}``; Responses ``event: error`` with ``{"type":"error","code":
    "server_error","message":…,"param":null,"sequence_number":…}``; Gemini ``{"error":
    {"code":503,"message":"The model is overloaded. Please try again later.","status":
    "UNAVAILABLE"}}``; AI SDK ``{"type":"error","errorText":"An error occurred."}`` and
    ``[DONE]``; ``/stream`` and ``/feed`` ``event: error`` with ``data: mock error``
    (there every event is a token). Reasoning tokens do not count. Nothing happens when
    the answer has fewer than N tokens.
``status=CODE``
    Answer with this HTTP status (200 to 599) and no stream. ``error_body=json|html|text``
    (default json) picks the body: JSON shaped like the provider's errors (OpenAI:
    ``{"error":{"message":"Incorrect API key provided: …","type":
    "invalid_request_error","param":null,"code":"invalid_api_key"}}`` for 401, rate
    limit for 429, server error for 500…; ``/v1/messages``: ``{"type":"error","error":
    {"type":"authentication_error","message":"invalid x-api-key"}}`` and the like; Gemini:
    ``{"error":{"code":401,"message":…,"status":"UNAUTHENTICATED"}}`` and the like), a
    small HTML page with the status in its ``<title>``, or one line of text.
    ``status=204`` (and 205, 304) sends no body. A 429 from the OpenAI and Anthropic
    endpoints carries ``retry-after: 1`` (seconds; ``retry-after-ms`` is Azure
    OpenAI's, not OpenAI's), and their request-id header as every response does.
``content_type=VALUE``
    Send the stream with this Content-Type (e.g. ``text/html``).
``charset=NAME``
    Append ``; charset=NAME`` to the Content-Type (clients must ignore it).
``ping=MS``
    While waiting (``first_delay``, ``delay``), send a comment ``: ping`` every MS
    milliseconds, so an idle timeout is reset by comments alone.
``retry=MS``
    Send ``retry: MS`` in a block of its own before the first event.
``bom=1``
    Start the body with a UTF-8 byte order mark.
``newline=lf|crlf|cr``
    The line endings of the body (default ``lf``; ``crlf`` on the Gemini endpoint, as
    Google's servers send).
``huge=BYTES``
    A first event whose data is BYTES long (deterministic ASCII filler). On the provider
    endpoints the filler is the first text token, so it is part of the answer; on
    ``/feed`` it replaces the first event's ``tick``.
``invalid_utf8=1``
    The first text token carries invalid UTF-8: a stray ``\\xff`` and a truncated
    ``\\xe2\\x82``, sent raw (inside the JSON string for JSON formats).
``ids=1``
    Every event gets an ``id:`` (1, 2, 3… in order), and a request with
    ``Last-Event-ID: K`` skips events 1..K, so a dropped stream resumes without loss or
    duplication. (``/feed`` always has ids and resumes.)
``count=N``
    Exactly N text tokens, cycling through the answer (``/stream``: its paragraph; the
    provider endpoints: their reply; reasoning and tool calls come on top), e.g.
    ``count=100000&rate=20000`` for a long, fast answer. Usage figures count them.
``reasoning=1|openrouter``
    Provider endpoints: the model thinks first, in each API's own shape (see the
    endpoints above): Chat Completions ``delta.reasoning_content`` (``openrouter``:
    ``delta.reasoning``), Responses reasoning summary events, Anthropic ``thinking``
    block, Gemini ``thought`` parts, AI SDK ``reasoning-*`` parts (``openrouter`` is
    ``1`` there). ``0`` (default): none.
``tools=N``
    Provider endpoints: the answer calls the first N of the mock's two tools (0 to 2).
    The OpenAI endpoints send the calls alone, as OpenAI's models do; Anthropic, Gemini
    and the AI SDK route send a short sentence first (``Let me look that up.``, or
    ``text``). The finish reason says so: ``tool_calls``, ``tool_use``, ``STOP`` (Gemini
    has no other), ``tool-calls``. ``error_after=0`` puts the error before the calls.
``finish=stop|length``
    Provider endpoints: ``length`` cuts the answer as a token limit would, after the
    first half of its tokens (or exactly ``count=N``), with no tool calls; the finish
    reason says so: Chat ``length``, Responses ``response.incomplete`` (status
    ``incomplete``, ``incomplete_details.reason`` ``max_output_tokens``, the message
    ``incomplete``), Anthropic ``max_tokens``, Gemini ``MAX_TOKENS``, AI SDK ``length``.
``alt=sse|json``
    Gemini's own parameter: ``sse`` streams events; ``json`` (or none, the API's
    default) answers one JSON array.
``cors=1``
    Any path, as ``MockServer(cors=True)`` does for all: let a page on another origin
    call it with ``fetch``. A preflight (``OPTIONS``, with the same query, as browsers
    send it) answers 204 with ``Access-Control-Allow-Origin`` (the request's ``Origin``,
    echoed, never ``*``), ``Vary: Origin``, ``Access-Control-Allow-Methods`` (``GET, POST``
    and the requested one), ``Access-Control-Allow-Headers`` (the requested ones, echoed:
    ``Authorization`` too) and ``Access-Control-Max-Age: 600``. Every other response
    (streams, ``status=CODE``, 400, 404…) carries the echoed origin, ``Vary: Origin``
    and ``Access-Control-Expose-Headers: retry-after, retry-after-ms, x-request-id,
    request-id, content-type``; without an ``Origin`` header only ``Vary: Origin``.
    Off (the default), nothing CORS is sent and a browser blocks the response (the
    page sees a "CORS error"). Preflights are recorded in ``requests`` as any request.
``text=TEXT``, ``reply=markdown|echo``, ``event=NAME``, ``limit=N``, ``interval=S``
    See the endpoints above.
"""

from __future__ import annotations

from ._faults import Outcome
from ._server import MockServer, RecordedRequest

__all__ = ["MockServer", "Outcome", "RecordedRequest"]
