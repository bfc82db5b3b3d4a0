"""Extractors turn provider events into text tokens, usage, done and errors."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import pytest

from sse_widget._exceptions import ServerEventError
from sse_widget._formats import FORMATS, Extractor, MalformedEvent, get_extractor
from sse_widget._models import Event

JSON_FORMATS = ["openai", "openai-responses", "anthropic", "json:token"]
OBJECT_FORMATS = ["openai", "openai-responses", "anthropic"]


def feed_all(extractor: Extractor, events: Iterable[Event]) -> list[str | None]:
    return [extractor.feed(event) for event in events]


def message(data: str, *, event: str = "message") -> Event:
    return Event(event=event, data=data)


def typed(kind: str, data: str) -> Event:
    """An event as the Responses and Messages APIs send it: named after its type."""
    return Event(event=kind, data=data)


# -- OpenAI Chat Completions ---------------------------------------------------------

CHAT_STREAM = [
    Event(
        data='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,'
        '"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,'
        '"finish_reason":null}],"usage":null}',
        id="1",
    ),
    Event(
        data='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},'
        '"logprobs":null,"finish_reason":null}],"usage":null}',
        id="2",
    ),
    Event(
        data='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" world"},'
        '"logprobs":null,"finish_reason":null}],"usage":null}',
        id="3",
    ),
    Event(
        data='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,'
        '"finish_reason":"stop"}],"usage":null}',
        id="4",
    ),
    Event(
        data='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,'
        '"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,'
        '"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":'
        '{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}',
        id="5",
    ),
    Event(data="[DONE]", id="6"),
]


def test_openai_stream_yields_content_usage_and_done() -> None:
    extractor = get_extractor("openai")

    tokens = feed_all(extractor, CHAT_STREAM)

    assert tokens == [None, "Hello", " world", None, None, None]
    assert "".join(t for t in tokens if t) == "Hello world"
    assert extractor.usage == {
        "prompt_tokens": 9,
        "completion_tokens": 2,
        "total_tokens": 11,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    assert extractor.done is True
    assert extractor.malformed_count == 0


def test_openai_usage_stays_none_until_sent_and_done_waits_for_the_marker() -> None:
    extractor = get_extractor("openai")

    feed_all(extractor, CHAT_STREAM[:4])

    assert extractor.usage is None
    assert extractor.done is False


def test_openai_refusal_is_text() -> None:
    extractor = get_extractor("openai")
    events = [
        message(
            '{"id":"chatcmpl-2","object":"chat.completion.chunk","choices":[{"index":0,'
            '"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}'
        ),
        message(
            '{"id":"chatcmpl-2","object":"chat.completion.chunk","choices":[{"index":0,'
            '"delta":{"content":null,"refusal":"I can\'t help"},"finish_reason":null}]}'
        ),
        message(
            '{"id":"chatcmpl-2","object":"chat.completion.chunk","choices":[{"index":0,'
            '"delta":{"refusal":" with that."},"finish_reason":null}]}'
        ),
    ]

    assert feed_all(extractor, events) == [None, "I can't help", " with that."]


def test_openai_legacy_completions_text() -> None:
    extractor = get_extractor("openai")
    events = [
        message(
            '{"id":"cmpl-1","object":"text_completion","created":1730000000,'
            '"model":"gpt-3.5-turbo-instruct","choices":[{"text":"Once","index":0,'
            '"logprobs":null,"finish_reason":null}]}'
        ),
        message(
            '{"id":"cmpl-1","object":"text_completion","created":1730000000,'
            '"model":"gpt-3.5-turbo-instruct","choices":[{"text":" upon","index":0,'
            '"logprobs":null,"finish_reason":"length"}]}'
        ),
        message("[DONE]"),
    ]

    assert feed_all(extractor, events) == ["Once", " upon", None]
    assert extractor.done is True


def test_openai_shows_only_the_first_choice() -> None:
    extractor = get_extractor("openai")
    events = [
        message('{"choices":[{"index":1,"delta":{"content":"B"},"finish_reason":null}]}'),
        message('{"choices":[{"index":0,"delta":{"content":"A"},"finish_reason":null}]}'),
        message(
            '{"choices":[{"index":1,"delta":{"content":"b"}},{"index":0,"delta":{"content":"a"}}]}'
        ),
        # Some compatible servers leave the index out.
        message('{"choices":[{"delta":{"content":"!"}}]}'),
    ]

    assert feed_all(extractor, events) == [None, "A", "a", "!"]


def test_openai_usage_on_every_chunk_is_merged() -> None:
    # vLLM's continuous_usage_stats, for one, sends usage with each chunk.
    extractor = get_extractor("openai")
    events = [
        message(
            '{"choices":[{"index":0,"delta":{"content":"Hi"}}],'
            '"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}'
        ),
        message(
            '{"choices":[{"index":0,"delta":{"content":"!"}}],'
            '"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,'
            '"prompt_tokens_details":null}}'
        ),
    ]

    assert feed_all(extractor, events) == ["Hi", "!"]
    assert extractor.usage == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}


@pytest.mark.parametrize(
    ("data", "expected_message", "expected_type"),
    [
        pytest.param(
            '{"error":{"message":"The server had an error while processing your request.",'
            '"type":"server_error","param":null,"code":null}}',
            "The server had an error while processing your request.",
            "server_error",
            id="openai",
        ),
        pytest.param(
            '{"error":{"message":"Rate limit reached","type":null,"code":"rate_limit_exceeded"}}',
            "Rate limit reached",
            "rate_limit_exceeded",
            id="code-when-no-type",
        ),
        pytest.param(
            '{"error":{"object":"error","message":"CUDA out of memory",'
            '"type":"InternalServerError","param":null,"code":500}}',
            "CUDA out of memory",
            "InternalServerError",
            id="compatible-server",
        ),
        pytest.param(
            '{"error":"upstream timed out"}',
            "upstream timed out",
            "",
            id="plain-string",
        ),
        pytest.param(
            '{"error":{"type":"server_error"}}',
            "the stream reported an error (server_error)",
            "server_error",
            id="no-message",
        ),
    ],
)
def test_openai_error_in_the_stream_raises(
    data: str, expected_message: str, expected_type: str
) -> None:
    extractor = get_extractor("openai")
    assert extractor.feed(CHAT_STREAM[1]) == "Hello"
    error_event = Event(data=data, id="3")

    with pytest.raises(ServerEventError) as caught:
        extractor.feed(error_event)

    assert str(caught.value) == expected_message
    assert caught.value.error_type == expected_type
    assert caught.value.event is error_event
    assert extractor.done is False


def test_openai_null_error_field_is_no_error() -> None:
    extractor = get_extractor("openai")

    event = message('{"error":null,"choices":[{"index":0,"delta":{"content":"ok"}}]}')

    assert extractor.feed(event) == "ok"


# -- OpenAI Responses -------------------------------------------------------------------

RESPONSE_USAGE = (
    '{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,'
    '"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}'
)

RESPONSES_STREAM = [
    typed(
        "response.created",
        '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1",'
        '"object":"response","created_at":1741290958,"status":"in_progress","error":null,'
        '"incomplete_details":null,"model":"gpt-4.1","output":[],"usage":null}}',
    ),
    typed(
        "response.in_progress",
        '{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1",'
        '"object":"response","status":"in_progress","output":[],"usage":null}}',
    ),
    typed(
        "response.output_item.added",
        '{"type":"response.output_item.added","sequence_number":2,"output_index":0,'
        '"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],'
        '"role":"assistant"}}',
    ),
    typed(
        "response.content_part.added",
        '{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"part":{"type":"output_text","text":"",'
        '"annotations":[]}}',
    ),
    typed(
        "response.output_text.delta",
        '{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"delta":"Hi"}',
    ),
    typed(
        "response.output_text.delta",
        '{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"delta":" there"}',
    ),
    typed(
        "response.output_text.done",
        '{"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"text":"Hi there"}',
    ),
    typed(
        "response.content_part.done",
        '{"type":"response.content_part.done","sequence_number":7,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"part":{"type":"output_text","text":"Hi there",'
        '"annotations":[]}}',
    ),
    typed(
        "response.output_item.done",
        '{"type":"response.output_item.done","sequence_number":8,"output_index":0,'
        '"item":{"id":"msg_1","type":"message","status":"completed","content":[{"type":'
        '"output_text","text":"Hi there","annotations":[]}],"role":"assistant"}}',
    ),
    typed(
        "response.completed",
        '{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1",'
        '"object":"response","status":"completed","error":null,"output":[],'
        f'"usage":{RESPONSE_USAGE}}}}}',
    ),
]


def test_openai_responses_stream_yields_deltas_usage_and_done() -> None:
    extractor = get_extractor("openai-responses")

    tokens = feed_all(extractor, RESPONSES_STREAM)

    assert tokens == [None, None, None, None, "Hi", " there", None, None, None, None]
    assert extractor.usage == {
        "input_tokens": 37,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 11,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 48,
    }
    assert extractor.done is True


def test_openai_responses_incomplete_is_done_with_usage() -> None:
    extractor = get_extractor("openai-responses")
    event = typed(
        "response.incomplete",
        '{"type":"response.incomplete","sequence_number":40,"response":{"id":"resp_2",'
        '"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},'
        '"usage":{"input_tokens":10,"output_tokens":16,"total_tokens":26}}}',
    )

    assert extractor.feed(event) is None
    assert extractor.done is True
    assert extractor.usage == {"input_tokens": 10, "output_tokens": 16, "total_tokens": 26}


def test_openai_responses_refusal_delta_is_text() -> None:
    extractor = get_extractor("openai-responses")
    event = typed(
        "response.refusal.delta",
        '{"type":"response.refusal.delta","sequence_number":4,"item_id":"msg_1",'
        '"output_index":0,"content_index":0,"delta":"I can\'t"}',
    )

    assert extractor.feed(event) == "I can't"


def test_openai_responses_type_falls_back_to_the_event_name() -> None:
    extractor = get_extractor("openai-responses")

    assert extractor.feed(typed("response.output_text.delta", '{"delta":"x"}')) == "x"
    # The data's type wins over the event name.
    assert extractor.feed(message('{"type":"response.output_text.delta","delta":"y"}')) == "y"
    other = typed("response.output_text.delta", '{"type":"other","delta":"z"}')
    assert extractor.feed(other) is None


@pytest.mark.parametrize(
    ("event", "expected_message", "expected_type"),
    [
        pytest.param(
            typed(
                "response.failed",
                '{"type":"response.failed","sequence_number":3,"response":{"id":"resp_3",'
                '"status":"failed","error":{"code":"server_error","message":'
                '"The model failed to generate a response."},"usage":null}}',
            ),
            "The model failed to generate a response.",
            "server_error",
            id="response.failed",
        ),
        pytest.param(
            typed(
                "response.failed",
                '{"type":"response.failed","response":{"id":"resp_3","status":"failed",'
                '"error":null}}',
            ),
            "the response failed",
            "",
            id="response.failed-without-details",
        ),
        pytest.param(
            typed(
                "error",
                '{"type":"error","code":"ERR_SOMETHING","message":"Something went wrong",'
                '"param":null,"sequence_number":1}',
            ),
            "Something went wrong",
            "ERR_SOMETHING",
            id="error",
        ),
        pytest.param(
            typed(
                "error",
                '{"type":"error","error":{"type":"invalid_request_error","code":'
                '"context_length_exceeded","message":"Too long"}}',
            ),
            "Too long",
            "context_length_exceeded",
            id="error-nested",
        ),
    ],
)
def test_openai_responses_errors_raise(
    event: Event, expected_message: str, expected_type: str
) -> None:
    extractor = get_extractor("openai-responses")

    with pytest.raises(ServerEventError) as caught:
        extractor.feed(event)

    assert str(caught.value) == expected_message
    assert caught.value.error_type == expected_type
    assert caught.value.event is event
    assert extractor.done is False


# -- Anthropic Messages -----------------------------------------------------------------

ANTHROPIC_STREAM = [
    typed(
        "message_start",
        '{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant",'
        '"content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,'
        '"usage":{"input_tokens":25,"cache_creation_input_tokens":0,'
        '"cache_read_input_tokens":0,"output_tokens":1}}}',
    ),
    typed(
        "content_block_start",
        '{"type":"content_block_start","index":0,"content_block":{"type":"thinking",'
        '"thinking":""}}',
    ),
    typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",'
        '"thinking":"Let me think."}}',
    ),
    typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta",'
        '"signature":"EqQB"}}',
    ),
    typed("content_block_stop", '{"type":"content_block_stop","index":0}'),
    typed("ping", '{"type": "ping"}'),
    typed(
        "content_block_start",
        '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}',
    ),
    typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}',
    ),
    typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"!"}}',
    ),
    typed("content_block_stop", '{"type":"content_block_stop","index":1}'),
    typed(
        "content_block_start",
        '{"type":"content_block_start","index":2,"content_block":{"type":"tool_use",'
        '"id":"toolu_01","name":"get_weather","input":{}}}',
    ),
    typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta",'
        '"partial_json":"{\\"location\\": \\"Paris\\"}"}}',
    ),
    typed("content_block_stop", '{"type":"content_block_stop","index":2}'),
    typed(
        "message_delta",
        '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
        '"usage":{"output_tokens":15}}',
    ),
    typed("message_stop", '{"type":"message_stop"}'),
]


def test_anthropic_stream_yields_text_deltas_usage_and_done() -> None:
    extractor = get_extractor("anthropic")

    tokens = feed_all(extractor, ANTHROPIC_STREAM[:-1])
    done_before_stop = extractor.done
    stop = extractor.feed(ANTHROPIC_STREAM[-1])

    assert [t for t in tokens if t is not None] == ["Hello", "!"]
    assert done_before_stop is False
    assert stop is None
    assert extractor.done is True
    # message_delta's output_tokens is the final total: it replaces message_start's.
    assert extractor.usage == {
        "input_tokens": 25,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 15,
    }
    assert extractor.malformed_count == 0


def test_anthropic_usage_null_figures_do_not_erase() -> None:
    extractor = get_extractor("anthropic")
    feed_all(extractor, ANTHROPIC_STREAM[:1])
    first = extractor.usage

    extractor.feed(
        typed(
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"end_turn"},'
            '"usage":{"input_tokens":null,"output_tokens":42}}',
        )
    )

    assert extractor.usage == {
        "input_tokens": 25,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 42,
    }
    # A new dict, so a watcher comparing by identity sees the change.
    assert extractor.usage is not first


def test_anthropic_error_raises_with_its_type() -> None:
    extractor = get_extractor("anthropic")
    assert feed_all(extractor, ANTHROPIC_STREAM[6:8]) == [None, "Hello"]
    event = typed(
        "error",
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    )

    with pytest.raises(ServerEventError, match=r"^Overloaded$") as caught:
        extractor.feed(event)

    assert caught.value.error_type == "overloaded_error"
    assert caught.value.event is event
    assert extractor.done is False


def test_anthropic_type_falls_back_to_the_event_name() -> None:
    extractor = get_extractor("anthropic")

    text = extractor.feed(
        typed("content_block_delta", '{"index":0,"delta":{"type":"text_delta","text":"hi"}}')
    )

    assert text == "hi"


# -- text -------------------------------------------------------------------------------


def test_text_format_passes_data_through_for_any_event() -> None:
    extractor = get_extractor("text")
    events = [
        message("Hello"),
        Event(event="token", data=" wor"),
        Event(event="error", data="ld"),
        message('{"not":"parsed"}'),
        message("two\nlines"),
        message(""),
    ]

    assert feed_all(extractor, events) == [
        "Hello",
        " wor",
        "ld",
        '{"not":"parsed"}',
        "two\nlines",
        "",
    ]
    assert extractor.done is False
    assert extractor.usage is None
    assert extractor.malformed_count == 0


# -- json:<path> ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        pytest.param(
            "choices.0.delta.content",
            '{"choices":[{"index":0,"delta":{"content":"Hi"}}]}',
            "Hi",
            id="list-index",
        ),
        pytest.param("token", '{"token":"abc"}', "abc", id="key"),
        pytest.param("token", '{"token":""}', None, id="empty-string"),
        pytest.param("token", '{"other":"abc"}', None, id="missing-key"),
        pytest.param("a.b.c", '{"a":{"x":1}}', None, id="missing-deep"),
        pytest.param("a.b", '{"a":"text"}', None, id="through-a-string"),
        pytest.param("choices.1.text", '{"choices":[{"text":"x"}]}', None, id="index-out-of-range"),
        pytest.param("choices.first", '{"choices":[{"text":"x"}]}', None, id="key-on-a-list"),
        pytest.param("token", '{"token":null}', None, id="null"),
        pytest.param("n", '{"n":42}', "42", id="int"),
        pytest.param("n", '{"n":1.5}', "1.5", id="float"),
        pytest.param("flag", '{"flag":true}', "true", id="bool"),
        pytest.param("0", '["first","second"]', "first", id="root-list"),
        pytest.param("0.text", '[{"text":"t"}]', "t", id="root-list-deep"),
        pytest.param("by_id.7", '{"by_id":{"7":"seven"}}', "seven", id="digit-key-on-object"),
        pytest.param("a.-1", '{"a":["x"]}', None, id="negative-is-a-key"),
        pytest.param("token", '"just a string"', None, id="root-scalar"),
    ],
)
def test_json_path(path: str, data: str, expected: str | None) -> None:
    extractor = get_extractor(f"json:{path}")

    assert extractor.feed(message(data)) == expected
    assert extractor.malformed_count == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('{"a":{"b":{"c":1}}}', "json:a.b is an object, not text"),
        ('{"a":{"b":[1,2]}}', "json:a.b is an array, not text"),
    ],
)
def test_json_path_to_a_container_is_malformed(data: str, reason: str) -> None:
    extractor = get_extractor("json:a.b")
    event = message(data)

    assert extractor.feed(event) is None
    assert extractor.malformed_count == 1
    assert list(extractor.malformed) == [MalformedEvent(event, reason)]
    assert extractor.feed(message('{"a":{"b":"ok"}}')) == "ok"


def test_json_path_on_an_openai_stream() -> None:
    extractor = get_extractor("json:choices.0.delta.content")

    tokens = feed_all(extractor, CHAT_STREAM)

    assert tokens == [None, "Hello", " world", None, None, None]
    assert extractor.format == "json:choices.0.delta.content"
    # [DONE] is the end, not a malformed event.
    assert extractor.done is True
    assert extractor.malformed_count == 0


@pytest.mark.parametrize("spec", ["json:", "json:a..b", "json:.a", "json:a."])
def test_json_path_must_have_non_empty_segments(spec: str) -> None:
    with pytest.raises(ValueError, match=re.escape("json:choices.0.delta.content")):
        get_extractor(spec)


# -- malformed events -------------------------------------------------------------------

VALID_EVENT = {
    "openai": message('{"choices":[{"index":0,"delta":{"content":"ok"}}]}'),
    "openai-responses": typed(
        "response.output_text.delta", '{"type":"response.output_text.delta","delta":"ok"}'
    ),
    "anthropic": typed(
        "content_block_delta",
        '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}',
    ),
    "json:token": message('{"token":"ok"}'),
}


@pytest.mark.parametrize("format", JSON_FORMATS)
def test_invalid_json_is_recorded_and_the_stream_goes_on(format: str) -> None:
    extractor = get_extractor(format)
    broken = Event(event="message", data='{"choices": [', id="41")

    assert extractor.feed(broken) is None
    assert extractor.feed(message("not json")) is None
    assert extractor.feed(VALID_EVENT[format]) == "ok"

    assert extractor.malformed_count == 2
    first, second = extractor.malformed
    assert first.event is broken
    assert first.event.data == '{"choices": ['
    assert first.reason.startswith("invalid JSON: Expecting")
    assert "at line 1 column 14" in first.reason
    assert second.reason == "invalid JSON: Expecting value at line 1 column 1"


@pytest.mark.parametrize("format", OBJECT_FORMATS)
@pytest.mark.parametrize(
    ("data", "kind"),
    [("[1, 2]", "an array"), ('"hello"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_json_that_is_not_an_object_is_malformed(format: str, data: str, kind: str) -> None:
    extractor = get_extractor(format)
    event = message(data)

    assert extractor.feed(event) is None
    assert list(extractor.malformed) == [
        MalformedEvent(event, f"expected a JSON object, got {kind}")
    ]
    assert extractor.feed(VALID_EVENT[format]) == "ok"


@pytest.mark.parametrize("format", JSON_FORMATS)
def test_deeply_nested_json_is_malformed_not_a_crash(format: str) -> None:
    extractor = get_extractor(format)

    assert extractor.feed(message("[" * 200_000 + "]" * 200_000)) is None

    assert extractor.malformed_count == 1
    assert extractor.malformed[0].reason.startswith("invalid JSON")


@pytest.mark.parametrize("format", JSON_FORMATS)
@pytest.mark.parametrize("data", ["", " ", "\n"])
def test_empty_data_is_ignored(format: str, data: str) -> None:
    extractor = get_extractor(format)

    assert extractor.feed(message(data)) is None
    assert extractor.malformed_count == 0
    assert not extractor.malformed
    assert extractor.done is False


def test_only_the_last_malformed_events_are_kept() -> None:
    extractor = get_extractor("openai")

    for number in range(150):
        extractor.feed(message(f"garbage {number}"))

    assert extractor.malformed_count == 150
    assert len(extractor.malformed) == 100
    assert extractor.malformed[0].event.data == "garbage 50"
    assert extractor.malformed[-1].event.data == "garbage 149"


def test_malformed_event_is_frozen() -> None:
    record = MalformedEvent(message("x"), "invalid JSON")

    with pytest.raises(dataclasses.FrozenInstanceError):
        record.reason = "other"  # type: ignore[misc]


# -- callables --------------------------------------------------------------------------


def test_callable_format_is_called_with_each_event() -> None:
    seen: list[Event] = []

    def upper(event: Event) -> str | None:
        seen.append(event)
        return event.data.upper() if event.event == "token" else None

    extractor = get_extractor(upper)
    events = [Event(event="token", data="ab"), Event(event="ping", data=""), Event(event="token")]

    assert feed_all(extractor, events) == ["AB", None, ""]
    assert seen == events
    assert extractor.format == "callable"


def test_callable_exceptions_propagate() -> None:
    def broken(event: Event) -> str | None:
        raise KeyError("choices")

    extractor = get_extractor(broken)

    with pytest.raises(KeyError, match="choices"):
        extractor.feed(message("x"))
    assert extractor.malformed_count == 0


def test_callable_returning_a_non_string_is_a_type_error() -> None:
    extractor = get_extractor(lambda event: len(event.data))  # type: ignore[arg-type,return-value]

    with pytest.raises(TypeError, match="returned int, not str or None"):
        extractor.feed(message("abc"))


# -- get_extractor ----------------------------------------------------------------------


def test_formats_lists_the_named_formats() -> None:
    assert FORMATS == ("text", "openai", "openai-responses", "anthropic", "gemini", "ai-sdk")


@pytest.mark.parametrize("format", FORMATS)
def test_named_formats_start_clean(format: str) -> None:
    extractor = get_extractor(format)

    assert isinstance(extractor, Extractor)
    assert extractor.format == format
    assert extractor.usage is None
    assert extractor.done is False
    assert extractor.malformed_count == 0
    assert not extractor.malformed
    assert repr(format) in repr(extractor)


@pytest.mark.parametrize("format", [*FORMATS, "json:token"])
def test_each_call_returns_a_fresh_extractor(format: str) -> None:
    first = get_extractor(format)
    first.feed(message("{broken"))
    first.done = True

    second = get_extractor(format)

    assert second is not first
    assert second.done is False
    assert second.malformed is not first.malformed
    assert second.malformed_count == 0


def test_each_call_keeps_its_own_usage() -> None:
    first = get_extractor("openai")
    feed_all(first, CHAT_STREAM)

    second = get_extractor("openai")

    assert first.usage is not None
    assert second.usage is None


@pytest.mark.parametrize("spec", ["gpt", "OpenAI", "", "json"])
def test_unknown_format_lists_the_valid_names(spec: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"unknown format {spec!r}")) as caught:
        get_extractor(spec)

    text = str(caught.value)
    for name in FORMATS:
        assert repr(name) in text
    assert "'json:<path>'" in text
    assert "callable" in text


def test_unknown_format_suggests_a_close_name() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'openai-responses'\?"):
        get_extractor("openai_responses")


@pytest.mark.parametrize("spec", [None, 42, b"openai", ["openai"]])
def test_format_of_another_type_is_a_type_error(spec: object) -> None:
    with pytest.raises(TypeError, match="format must be a format name"):
        get_extractor(spec)  # type: ignore[arg-type]
