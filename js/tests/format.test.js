// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  BODY_EXCERPT, droppedNotice, errorMessage, errorTitle, finishBadge, formatArguments, formatBody, formatSeconds,
  statsEntries, statusLabel, thinkingLabel,
} from "../format.js";

describe("header text", () => {
  it("labels statuses, with the attempt while reconnecting", () => {
    assert.equal(statusLabel("streaming"), "streaming");
    assert.equal(statusLabel("reconnecting", { attempt: 2, max_attempts: 5 }), "reconnecting 2/5");
    assert.equal(statusLabel("reconnecting", { attempt: 7, max_attempts: null }), "reconnecting 7");
    assert.equal(statusLabel("reconnecting", {}), "reconnecting");
  });

  it("formats seconds at three scales", () => {
    assert.equal(formatSeconds(0.4234), "0.42 s");
    assert.equal(formatSeconds(12.34), "12.3 s");
    assert.equal(formatSeconds(125), "2 min 05 s");
  });

  it("lists the figures that are known, in order", () => {
    const entries = statsEntries({
      tokens: 12345, tokens_per_s: 87.6, ttft_s: 0.25, elapsed_s: 3.5, reconnects: 0,
      usage: { prompt_tokens: 10, completion_tokens: 200, total_tokens: 210 },
    });
    assert.deepEqual(entries, [
      ["tokens", "12,345"], ["tok/s", "88"], ["first token", "0.25 s"],
      ["elapsed", "3.50 s"], ["usage", "10 in · 200 out"],
    ]);
    assert.deepEqual(statsEntries({ tokens: 0, tokens_per_s: null, ttft_s: null }), [["tokens", "0"]]);
    assert.deepEqual(statsEntries({ reconnects: 2, usage: { input_tokens: 5, output_tokens: 6 } }), [
      ["reconnects", "2"], ["usage", "5 in · 6 out"],
    ]);
  });

  it("titles errors with status and type", () => {
    assert.equal(errorTitle({ type: "HTTPStatusError", status_code: 401 }), "HTTP 401 · HTTPStatusError");
    assert.equal(errorTitle({ type: "IdleTimeout" }), "IdleTimeout");
    assert.equal(errorTitle({}), "Error");
  });

  it("leaves the body out of the message when the panel shows it", () => {
    const body = '{"error":{"message":"Incorrect API key"}}';
    const message = `401 Unauthorized from POST https://api.example.com/v1: ${body}`;
    assert.equal(errorMessage({ message, body }), "401 Unauthorized from POST https://api.example.com/v1");
    assert.equal(errorMessage({ message: "read timed out" }), "read timed out");
    assert.equal(errorMessage({ message: body, body }), body);
  });

  it("pretty-prints JSON bodies and cuts long ones", () => {
    assert.equal(formatBody('{"error":{"message":"bad key"}}'), '{\n  "error": {\n    "message": "bad key"\n  }\n}');
    assert.equal(formatBody("plain words"), "plain words");
    const long = formatBody("x".repeat(BODY_EXCERPT + 10));
    assert.equal(long.length, BODY_EXCERPT + 2);
    assert.ok(long.endsWith("\n…"));
    assert.equal(formatBody(undefined), "");
  });

  it("says how much earlier text is not kept, and nothing when none was dropped", () => {
    assert.equal(droppedNotice(1234567), "1,234,567 earlier characters not kept (max_chars)");
    assert.equal(droppedNotice(1), "1 earlier character not kept (max_chars)");
    assert.equal(droppedNotice(0), "");
  });

  it("names no setting when the bound is not max_chars", () => {
    assert.equal(droppedNotice(2000, null), "2,000 earlier characters not kept");
  });
});

describe("what a model's stream carries beside the answer", () => {
  it("labels the thinking section with its own count, while it thinks and once it ended", () => {
    assert.equal(thinkingLabel(1234, false), "Thinking · 1,234 tokens");
    assert.equal(thinkingLabel(1, false), "Thinking · 1 token");
    assert.equal(thinkingLabel(null, false), "Thinking");
    assert.equal(thinkingLabel(1234, true), "Thought for 1,234 tokens");
    assert.equal(thinkingLabel(null, true), "Thought");
  });

  it("shows no finish badge for a normal stop, in any provider's spelling", () => {
    for (const reason of ["stop", "end_turn", "STOP", "stop_sequence", "completed", "finish", "Stop", null, ""]) {
      assert.equal(finishBadge(reason), null, String(reason));
    }
  });

  it("warns that an answer cut at the token limit is cut, naming the provider's word", () => {
    for (const reason of ["length", "max_tokens", "MAX_TOKENS", "max_output_tokens"]) {
      const badge = finishBadge(reason);
      assert.equal(badge?.kind, "cut", reason);
      assert.ok(badge?.text.includes(reason));
      assert.match(badge?.title ?? "", /cut at the token limit/);
    }
  });

  it("shows a stop to call a tool quietly, and anything else as the provider said it", () => {
    assert.deepEqual(
      ["tool_calls", "tool_use", "TOOL_USE", "tool-calls"].map((reason) => [finishBadge(reason)?.kind, finishBadge(reason)?.text]),
      [["tool", "tool call"], ["tool", "tool call"], ["tool", "tool call"], ["tool", "tool call"]],
    );
    assert.deepEqual(finishBadge("content_filter"), {
      kind: "other", text: "content_filter", title: 'The model stopped with finish reason "content_filter"',
    });
    assert.equal(finishBadge("SAFETY")?.text, "SAFETY");
  });

  it("formats complete tool arguments as JSON, and keeps what does not parse as it came", () => {
    assert.deepEqual(formatArguments('{"city":"Oslo","days":[1,2]}'), {
      text: '{\n  "city": "Oslo",\n  "days": [\n    1,\n    2\n  ]\n}', valid: true, error: "",
    });
    assert.deepEqual(formatArguments(" "), { text: "{}", valid: true, error: "" });
    const cut = formatArguments('{"city": "Os');
    assert.equal(cut.valid, false);
    assert.equal(cut.text, '{"city": "Os');
    assert.ok(cut.error.length > 0);
  });
});
