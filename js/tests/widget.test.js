// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import widget from "../widget.js";
import { flowText, frames, makeWindow } from "./dom.js";

/**
 * A stand-in for anywidget's model: traitlet values, listeners, and what the view sent.
 * @param {Record<string, unknown>} state
 */
function fakeModel(state) {
  /** @type {Map<string, Set<(...args: any[]) => void>>} */
  const listeners = new Map();
  /** @type {unknown[]} */
  const sent = [];
  const model = {
    get: (/** @type {string} */ name) => state[name],
    set: (/** @type {string} */ name, /** @type {unknown} */ value) => {
      state[name] = value;
    },
    on(/** @type {string} */ name, /** @type {(...args: any[]) => void} */ callback) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)?.add(callback);
    },
    off(/** @type {string} */ name, /** @type {(...args: any[]) => void} */ callback) {
      listeners.get(name)?.delete(callback);
    },
    save_changes() {},
    send: (/** @type {unknown} */ content) => sent.push(content),
    widget_manager: /** @type {any} */ ({}),
  };
  return {
    model,
    sent,
    /** The kernel changes a traitlet. */
    change(/** @type {string} */ name, /** @type {unknown} */ value) {
      state[name] = value;
      for (const callback of listeners.get(`change:${name}`) ?? []) callback();
    },
    /** The kernel sends a custom message. */
    message(/** @type {unknown} */ content) {
      for (const callback of listeners.get("msg:custom") ?? []) callback(content, []);
    },
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

const STATE = {
  status: "streaming",
  render: "markdown",
  method: "POST",
  display_url: "https://api.example.com/v1/chat?api_key=[redacted]",
  reconnect_info: {},
  error_info: {},
  generation: 1,
  allow_remote_images: false,
  max_event_rows: 500,
};

function mount(overrides = {}) {
  const window = makeWindow();
  const el = window.document.createElement("div");
  window.document.body.append(el);
  const fake = fakeModel({ ...STATE, ...overrides });
  const cleanup = widget.render({ model: /** @type {any} */ (fake.model), el });
  const $ = (/** @type {string} */ selector) => el.querySelector(selector);
  return { window, el, fake, cleanup, $ };
}

describe("the widget view", () => {
  it("asks for a snapshot on a started stream, then renders snapshot and deltas in order", async () => {
    const { window, fake, $ } = mount();
    assert.deepEqual(fake.sent, [{ kind: "sync", gen: 1, seq: 0 }]);
    fake.message({ kind: "delta", gen: 1, seq: 1, text: "ignored: the snapshot covers it" });
    fake.message({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "Hello **wor" });
    fake.message({ kind: "delta", gen: 1, seq: 2, text: "ld**!" });
    await frames(window, 2);
    assert.equal($(".sse-widget-markdown strong")?.textContent, "world");
    assert.equal($(".sse-widget-markdown")?.textContent, "Hello world!\n");
    assert.ok($(".sse-widget-caret"), "no caret while streaming");
    fake.change("status", "done");
    await frames(window);
    assert.equal($(".sse-widget-caret"), null);
    assert.equal($(".sse-widget-status")?.textContent, "done");
  });

  it("shows the method, the redacted URL and the figures that ride in the deltas", () => {
    const { fake, $ } = mount();
    assert.equal($(".sse-widget-request")?.textContent, `POST ${STATE.display_url}`);
    assert.equal($(".sse-widget-stats")?.textContent, "");
    const stats = { tokens: 3, tokens_per_s: 40, ttft_s: 0.2, elapsed_s: 0.5 };
    fake.message({ kind: "snapshot", gen: 1, seq: 0, part: 0, parts: 1, text: "", stats });
    assert.equal($(".sse-widget-stats")?.textContent, "3 tokens40 tok/s0.20 s first token0.50 s elapsed");
    fake.message({ kind: "delta", gen: 1, seq: 1, text: "", stats: { ...stats, tokens: 9 } });
    assert.match($(".sse-widget-stats")?.textContent ?? "", /^9 tokens/);
  });

  it("Stop sends stop while streaming and is disabled once the stream ended", () => {
    const { fake, $ } = mount();
    const stop = /** @type {HTMLButtonElement} */ ($(".sse-widget-stop"));
    stop.click();
    assert.deepEqual(fake.sent.at(-1), { kind: "stop" });
    fake.change("status", "stopped");
    assert.equal(stop.disabled, true);
    /** @type {HTMLButtonElement} */ ($(".sse-widget-restart")).click();
    assert.deepEqual(fake.sent.at(-1), { kind: "restart" });
  });

  it("says Start for a stream that has not started, and asks for nothing", () => {
    const { fake, $ } = mount({ status: "idle", generation: 0 });
    assert.equal($(".sse-widget-restart")?.textContent, "Start");
    assert.deepEqual(fake.sent, []);
  });

  it("shows reconnect attempts in the pill", () => {
    const { fake, $ } = mount();
    fake.change("reconnect_info", { attempt: 2, max_attempts: 5, delay_s: 1 });
    fake.change("status", "reconnecting");
    assert.equal($(".sse-widget-status")?.textContent, "reconnecting 2/5");
  });

  it("shows an HTTP error with its status and the server's body", () => {
    const { fake, $ } = mount();
    assert.equal(/** @type {HTMLElement} */ ($(".sse-widget-error")).hidden, true);
    fake.change("error_info", {
      type: "HTTPStatusError",
      message: "401 Unauthorized from POST https://api.example.com/v1/chat",
      status_code: 401,
      body: '{"error": {"message": "Incorrect API key provided"}}',
    });
    fake.change("status", "error");
    const panel = /** @type {HTMLElement} */ ($(".sse-widget-error"));
    assert.equal(panel.hidden, false);
    assert.equal($(".sse-widget-error-title")?.textContent, "HTTP 401 · HTTPStatusError");
    assert.match($(".sse-widget-error-body")?.textContent ?? "", /"message": "Incorrect API key provided"/);
  });

  it("a restart clears the text and takes the new generation's deltas", async () => {
    const { window, fake, $ } = mount({ render: "text" });
    fake.message({ kind: "snapshot", gen: 1, seq: 2, part: 0, parts: 1, text: "first answer" });
    await frames(window);
    fake.change("generation", 2);
    fake.message({ kind: "delta", gen: 2, seq: 1, text: "second" });
    await frames(window);
    assert.equal($(".sse-widget-text")?.textContent, "second");
  });

  it("copies the source text", async () => {
    const { window, fake, $ } = mount();
    /** @type {string[]} */
    const copied = [];
    Object.defineProperty(window.navigator, "clipboard", {
      value: { writeText: async (/** @type {string} */ text) => void copied.push(text) },
    });
    fake.message({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "# Title\n\n*x*" });
    const copy = /** @type {HTMLButtonElement} */ ($(".sse-widget-copy"));
    copy.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(copied, ["# Title\n\n*x*"]);
    assert.equal(copy.textContent, "Copied");
  });

  it("renders events as rows of a table", async () => {
    const { window, fake, $ } = mount({ render: "events" });
    const rows = [{ t: 5, event: "message", id: "1", data: '{"x": 1}' }];
    fake.message({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "", rows });
    await frames(window);
    const cells = [...(/** @type {Element} */ ($("tbody tr"))).children].map((td) => td.textContent);
    assert.deepEqual(cells, ["5", "message", "1", '{"x": 1}']);
  });

  it("a new view takes over a drawn view whose element left the page", async () => {
    const { window, fake, el, cleanup } = mount({ _view_key: "k1", render: "text" });
    fake.message({ kind: "snapshot", gen: 1, seq: 3, part: 0, parts: 1, text: "drawn once" });
    await frames(window);
    const root = el.querySelector(".sse-widget");
    el.textContent = "Loading widget..."; // what JupyterLab does on a display update
    const sentBefore = fake.sent.length;
    const next = window.document.createElement("div");
    window.document.body.append(next);
    const cleanupNext = widget.render({ model: /** @type {any} */ (fake.model), el: next });
    assert.equal(next.querySelector(".sse-widget"), root, "not the same element");
    assert.equal(next.querySelector(".sse-widget-text")?.textContent, "drawn once");
    assert.equal(fake.sent.length, sentBefore, "it asked for a snapshot");
    fake.message({ kind: "delta", gen: 1, seq: 4, text: ", then more" });
    await frames(window);
    assert.equal(next.querySelector(".sse-widget-text")?.textContent, "drawn once, then more");
    /** @type {() => void} */ (cleanup)();
    assert.ok(fake.listenerCount() > 0, "released while still shown");
    /** @type {() => void} */ (cleanupNext)();
    assert.equal(fake.listenerCount(), 0);
  });

  it("drops the oldest text as the kernel does and says how much is not kept", async () => {
    const { window, fake, el, $ } = mount({ render: "text" });
    const notice = /** @type {HTMLElement} */ ($(".sse-widget-dropped"));
    const text = () => $(".sse-widget-text")?.textContent;
    assert.equal(notice.hidden, true);
    assert.equal(notice.getAttribute("role"), "note");
    fake.message({
      kind: "snapshot", gen: 1, seq: 4, part: 0, parts: 2, text: "line 3\nline 4\n", dropped: 1234567,
    });
    fake.message({ kind: "snapshot", gen: 1, seq: 4, part: 1, parts: 2, text: "line 5\n" });
    await frames(window);
    assert.equal(notice.hidden, false);
    assert.equal(notice.textContent, "1,234,567 earlier characters not kept (max_chars)");
    assert.equal(text(), "line 3\nline 4\nline 5\n");
    // The notice comes first in the body, outside the view's element, and is marked.
    const body = /** @type {HTMLElement} */ ($(".sse-widget-body"));
    assert.equal(body.firstElementChild, notice);
    assert.ok(notice.matches("[data-sse-widget-notice]"));
    assert.equal(notice.closest(".sse-widget-text"), null);
    fake.message({ kind: "delta", gen: 1, seq: 5, text: "line 6\n", dropped: 1234567 + 7 });
    fake.message({ kind: "delta", gen: 1, seq: 6, text: "line 7\n" }); // no field: unchanged
    await frames(window);
    assert.equal(text(), "line 4\nline 5\nline 6\nline 7\n");
    assert.equal(notice.textContent, "1,234,574 earlier characters not kept (max_chars)");
    // Copy copies the kept text only.
    /** @type {string[]} */
    const copied = [];
    Object.defineProperty(window.navigator, "clipboard", {
      value: { writeText: async (/** @type {string} */ value) => void copied.push(value) },
    });
    /** @type {HTMLButtonElement} */ ($(".sse-widget-copy")).click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(copied, ["line 4\nline 5\nline 6\nline 7\n"]);
    // A restart keeps everything again.
    fake.change("generation", 2);
    fake.message({ kind: "delta", gen: 2, seq: 1, text: "again" });
    await frames(window);
    assert.equal(notice.hidden, true);
    assert.equal(text(), "again");
    assert.equal(el.querySelectorAll(".sse-widget-dropped").length, 1);
  });

  it("removes its listeners when the view goes", () => {
    const { fake, cleanup } = mount();
    assert.ok(fake.listenerCount() > 0);
    assert.equal(typeof cleanup, "function");
    /** @type {() => void} */ (cleanup)();
    assert.equal(fake.listenerCount(), 0);
  });
});

describe("the widget view of a model's reasoning, tool calls and finish reason", () => {
  it("shows the thinking above the answer, open while the model thinks, closed once it answers", async () => {
    const { window, fake, $ } = mount({ render: "text" });
    fake.message({ kind: "snapshot", gen: 1, seq: 0, part: 0, parts: 1, text: "" });
    await frames(window);
    assert.equal($(".sse-widget-thinking"), null, "an empty thinking section");
    fake.message({ kind: "delta", gen: 1, seq: 1, text: "", reasoning: "The user wants ", stats: { reasoning_tokens: 3 } });
    fake.message({ kind: "delta", gen: 1, seq: 2, text: "", reasoning: "a haiku.", stats: { reasoning_tokens: 5 } });
    await frames(window);
    const section = /** @type {HTMLDetailsElement} */ ($(".sse-widget-thinking"));
    const body = /** @type {HTMLElement} */ ($(".sse-widget-body"));
    assert.equal(section.parentElement, body);
    assert.equal(body.firstElementChild, section, "not above the answer");
    assert.equal(section.open, true);
    assert.equal($(".sse-widget-thinking-summary")?.textContent, "Thinking · 5 tokens");
    assert.equal(flowText(/** @type {Element} */ ($(".sse-widget-thinking-text"))), "The user wants a haiku.");
    assert.equal($(".sse-widget-text")?.textContent, "");
    // One caret: in the thinking, not on the empty answer below it.
    const caret = (/** @type {string} */ where) => $(`${where} .sse-widget-caret`)?.hasAttribute("hidden");
    assert.deepEqual([caret(".sse-widget-thinking"), caret(".sse-widget-text")], [false, true]);

    fake.message({ kind: "delta", gen: 1, seq: 3, text: "Autumn moon", stats: { reasoning_tokens: 5 } });
    await frames(window);
    assert.equal(section.open, false);
    assert.equal($(".sse-widget-thinking-summary")?.textContent, "Thought for 5 tokens");
    assert.equal($(".sse-widget-text")?.textContent, "Autumn moon");
    assert.deepEqual([caret(".sse-widget-thinking"), caret(".sse-widget-text")], [true, false]);
    /** @type {HTMLElement} */ ($(".sse-widget-thinking-summary")).click();
    assert.equal(section.open, true);

    // Copy copies the answer, not the reasoning.
    /** @type {string[]} */
    const copied = [];
    Object.defineProperty(window.navigator, "clipboard", {
      value: { writeText: async (/** @type {string} */ text) => void copied.push(text) },
    });
    /** @type {HTMLButtonElement} */ ($(".sse-widget-copy")).click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(copied, ["Autumn moon"]);
  });

  it("says the thinking ended when the stream ends before any answer", async () => {
    const { window, fake, $ } = mount({ render: "markdown" });
    fake.message({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "", reasoning: "Hmm, let me" });
    await frames(window);
    assert.equal($(".sse-widget-thinking-summary")?.textContent, "Thinking");
    fake.change("status", "stopped");
    await frames(window);
    assert.equal($(".sse-widget-thinking-summary")?.textContent, "Thought");
    assert.equal(/** @type {HTMLElement} */ ($(".sse-widget-thinking")).dataset.state, "done");
    assert.equal(/** @type {HTMLDetailsElement} */ ($(".sse-widget-thinking")).open, true);
  });

  it("shows tool calls as cards after the answer, formatted once complete", async () => {
    const { window, fake, $ } = mount({ render: "markdown" });
    fake.message({ kind: "snapshot", gen: 1, seq: 0, part: 0, parts: 1, text: "" });
    fake.message({
      kind: "delta", gen: 1, seq: 1, text: "Let me look.",
      tools: [{ i: 0, id: "toolu_1", name: "search", args: '{"q": "sse' }],
    });
    await frames(window);
    const body = /** @type {HTMLElement} */ ($(".sse-widget-body"));
    assert.equal(body.lastElementChild?.className, "sse-widget-tools");
    assert.equal($(".sse-widget-tool-name")?.textContent, "search");
    assert.equal($(".sse-widget-tool-id")?.textContent, "toolu_1");
    assert.equal($(".sse-widget-tool-args")?.textContent, '{"q": "sse');
    fake.message({ kind: "delta", gen: 1, seq: 2, text: "", tools: [{ i: 0, args: '"}', done: true }], finish: "tool_use" });
    await frames(window);
    assert.equal($(".sse-widget-tool-args")?.textContent, '{\n  "q": "sse"\n}');
    assert.equal(/** @type {HTMLElement} */ ($(".sse-widget-tool")).dataset.state, "done");
    const badge = /** @type {HTMLElement} */ ($(".sse-widget-finish"));
    assert.equal(badge.hidden, false);
    assert.equal(badge.dataset.kind, "tool");
    assert.equal(badge.textContent, "tool call");
  });

  it("warns in the header when the answer was cut at the token limit, and says nothing for a normal stop", async () => {
    const { fake, $ } = mount({ render: "text" });
    const badge = /** @type {HTMLElement} */ ($(".sse-widget-finish"));
    assert.equal(badge.hidden, true);
    assert.equal(badge.previousElementSibling, $(".sse-widget-status"));
    fake.message({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "The answer is", finish: "length" });
    assert.equal(badge.hidden, false);
    assert.ok(badge.classList.contains("sse-widget-finish-cut"));
    assert.equal(badge.dataset.kind, "cut");
    assert.equal(badge.dataset.reason, "length");
    assert.equal(badge.textContent, "cut off: length");
    assert.match(badge.title, /cut at the token limit/);
    fake.change("generation", 2);
    assert.equal(badge.hidden, true, "the last run's reason outlived it");
    fake.message({ kind: "delta", gen: 2, seq: 1, text: "Complete.", finish: "stop" });
    assert.equal(badge.hidden, true);
    assert.equal(badge.classList.contains("sse-widget-finish-cut"), false);
    fake.message({ kind: "delta", gen: 2, seq: 2, text: "", finish: "content_filter" });
    assert.equal(badge.hidden, false);
    assert.equal(badge.dataset.kind, "other");
    assert.equal(badge.textContent, "content_filter");
  });

  it("shows untrusted reasoning and arguments as text", async () => {
    const { window, fake, el } = mount({ render: "markdown" });
    const hostile = '<img src=x onerror="globalThis.pwned=1">';
    fake.message({
      kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "",
      reasoning: hostile, tools: [{ i: 0, id: "c", name: hostile, args: hostile, done: true }],
    });
    await frames(window, 2);
    assert.equal(el.querySelector("img"), null);
    assert.equal(flowText(/** @type {Element} */ (el.querySelector(".sse-widget-thinking-text"))), hostile);
    assert.equal(el.querySelector(".sse-widget-tool-name")?.textContent, hostile);
    assert.equal(el.querySelector(".sse-widget-tool-args")?.textContent, hostile);
    assert.equal(el.querySelector(".sse-widget-tool-marker")?.hasAttribute("hidden"), false);
    assert.equal(/** @type {any} */ (window).pwned, undefined);
  });

  it("a restart takes the thinking section and the cards away", async () => {
    const { window, fake, $ } = mount({ render: "text" });
    fake.message({
      kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "a",
      reasoning: "r", tools: [{ i: 0, id: "c", name: "t", args: "{}", done: true }],
    });
    await frames(window);
    assert.ok($(".sse-widget-thinking") && $(".sse-widget-tools"));
    fake.change("generation", 2);
    fake.message({ kind: "delta", gen: 2, seq: 1, text: "plain" });
    await frames(window);
    assert.equal($(".sse-widget-thinking"), null);
    assert.equal($(".sse-widget-tools"), null);
    assert.equal($(".sse-widget-text")?.textContent, "plain");
  });
});

