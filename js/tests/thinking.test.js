// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { StreamStore, isTextChange } from "../store.js";
import { ThinkingSection } from "../thinking.js";
import { FRAME_BUDGET_MS, SLICE_CHARS, SharedFrame, TextView } from "../views.js";
import { flowText, makeWindow } from "./dom.js";

const window = makeWindow();
const { document } = window;

/**
 * A store and a thinking section wired as the widget wires them, in a body of its own
 * with an answer view after the section's place; frames run by hand on a fake clock.
 * @param {{ maxReasoning?: number }} [options]
 */
function thinkingStream({ maxReasoning } = {}) {
  let now = 0;
  let live = true;
  /** @type {(() => void)[]} */
  const queue = [];
  const frame = new SharedFrame((callback) => queue.push(callback), () => now);
  const body = document.createElement("div");
  const answer = new TextView(document);
  body.append(answer.el);
  document.body.append(body);
  /** @type {StreamStore} */
  const store = new StreamStore({
    requestSync: () => {}, // the tests that catch up send the snapshot themselves
    onChange: (change) => {
      if (isTextChange(change)) {
        if (change.type !== "trim" && change.text) answer.write(change.text);
      } else if (change.type.startsWith("reasoning")) {
        section.change(/** @type {import("../thinking.js").ReasoningChanges} */ (change));
      }
      section.answer(store.answered);
    },
    maxReasoning,
  });
  const section = new ThinkingSection(document, {
    parent: body,
    before: answer.el,
    frame,
    live: () => live,
    source: () => store.reasoning,
    clock: () => now,
  });
  let seq = 0;
  return {
    store,
    section,
    body,
    /** @param {Partial<import("../store.js").Delta>} fields */
    send: (fields) => store.receive({ kind: "delta", gen: store.gen || 1, seq: (seq += 1), text: "", ...fields }),
    /** @param {number} ms */
    advance: (ms) => (now += ms),
    end() {
      live = false;
      section.update();
    },
    restart() {
      seq = 0;
      store.newGeneration(store.gen + 1);
    },
    frames: () => queue.length,
    /** Run frames until none is asked for. */
    drain() {
      while (queue.length > 0) /** @type {() => void} */ (queue.shift())();
    },
    step() {
      /** @type {() => void} */ (queue.shift())();
    },
    /** The section as found in the body (null when there is none). */
    found: () => /** @type {HTMLDetailsElement | null} */ (body.querySelector(".sse-widget-thinking")),
    title: () => body.querySelector(".sse-widget-thinking-title")?.textContent,
    shown: () => {
      const el = body.querySelector(".sse-widget-thinking-text");
      return el ? flowText(el) : undefined;
    },
  };
}

describe("the thinking section", () => {
  it("is not there for a stream without reasoning", () => {
    const stream = thinkingStream();
    stream.send({ text: "Just an answer." });
    stream.drain();
    assert.equal(stream.found(), null);
    assert.equal(stream.body.children.length, 1);
  });

  it("opens above the answer while the model thinks, then closes when the answer starts", () => {
    const stream = thinkingStream();
    stream.send({ reasoning: "First, " });
    stream.send({ reasoning: "the units.\n" });
    stream.drain();
    const section = stream.found();
    assert.ok(section, "no section");
    assert.equal(section.open, true);
    assert.equal(section.dataset.state, "thinking");
    assert.ok(section.nextElementSibling?.classList.contains("sse-widget-text"), "not above the answer");
    assert.equal(stream.title(), "Thinking · 2 tokens"); // pieces, with no count from the kernel
    assert.equal(stream.shown(), "First, the units.\n");
    assert.equal(section.querySelector(".sse-widget-caret")?.hasAttribute("hidden"), false);

    stream.send({ text: "The answer" });
    stream.drain();
    assert.equal(section.open, false);
    assert.equal(section.dataset.state, "done");
    assert.equal(stream.title(), "Thought for 2 tokens");
    assert.equal(section.querySelector(".sse-widget-caret")?.hasAttribute("hidden"), true);

    // The reader opens it again; more of the answer does not close it.
    /** @type {HTMLElement} */ (section.querySelector("summary")).click();
    assert.equal(section.open, true);
    stream.send({ text: " goes on." });
    stream.drain();
    assert.equal(section.open, true);
    assert.equal(stream.shown(), "First, the units.\n");
  });

  it("closes when a tool call starts, too: the thinking is over", () => {
    const stream = thinkingStream();
    stream.send({ reasoning: "I need the weather." });
    stream.send({ tools: [{ i: 0, name: "get_weather" }] });
    stream.drain();
    assert.equal(stream.found()?.open, false);
    assert.equal(stream.found()?.dataset.state, "done");
  });

  it("stays as the reader left it once they chose", () => {
    const stream = thinkingStream();
    stream.send({ reasoning: "Long thoughts" });
    stream.drain();
    const section = /** @type {HTMLDetailsElement} */ (stream.found());
    const summary = /** @type {HTMLElement} */ (section.querySelector("summary"));
    summary.click(); // closed while thinking
    summary.click(); // and opened: the reader wants to read it
    stream.send({ text: "Answer" });
    stream.drain();
    assert.equal(section.open, true);
    // A new run has no section until it reasons, and its section opens as it thinks.
    stream.restart();
    stream.drain();
    assert.equal(stream.found(), null);
    stream.send({ reasoning: "Again" });
    stream.drain();
    assert.equal(stream.found(), section);
    assert.equal(section.open, true);
    assert.equal(stream.title(), "Thinking · 1 token");
    stream.send({ text: "Done" });
    assert.equal(section.open, false, "the choice about the last run held");
  });

  it("counts the kernel's reasoning tokens when it gives them, and says when thinking ended", () => {
    const stream = thinkingStream();
    stream.send({ reasoning: "abc" });
    // Figures from before the reasoning began (a timer's tick behind) do not hide the count.
    stream.section.tokens(0);
    assert.equal(stream.title(), "Thinking · 1 token");
    stream.section.tokens(1234);
    assert.equal(stream.title(), "Thinking · 1,234 tokens");
    assert.equal(stream.found()?.dataset.tokens, "1234");
    stream.send({ reasoning: "def" }); // the kernel's count stands
    assert.equal(stream.title(), "Thinking · 1,234 tokens");
    stream.end(); // stopped (or cut) while thinking: open still, its end in view
    assert.equal(stream.title(), "Thought for 1,234 tokens");
    assert.equal(stream.found()?.open, true);
  });

  it("arrives closed on a view that catches up after the answer began", () => {
    const stream = thinkingStream();
    stream.store.catchUp(1);
    stream.store.receive({
      kind: "snapshot", gen: 1, seq: 5, part: 0, parts: 1, text: "The answer.", reasoning: "Thought it through.",
    });
    stream.drain();
    const section = stream.found();
    assert.equal(section?.open, false);
    assert.equal(stream.shown(), "Thought it through.");
  });

  it("shows untrusted reasoning as text, never as HTML", () => {
    const stream = thinkingStream();
    const hostile = '<img src=x onerror="globalThis.pwned=1"><script>globalThis.pwned=1</script>';
    stream.send({ reasoning: hostile });
    stream.drain();
    const section = /** @type {HTMLElement} */ (stream.found());
    assert.equal(stream.shown(), hostile);
    assert.equal(section.querySelector("img, script"), null);
    assert.equal(/** @type {any} */ (window).pwned, undefined);
  });

  it("says how much earlier reasoning is not kept, in the frame that removes it", () => {
    const stream = thinkingStream();
    stream.send({ reasoning: "0123456789" });
    stream.drain();
    stream.send({ reasoning: "abc", reasoning_dropped: 8 });
    const notice = /** @type {HTMLElement} */ (stream.body.querySelector(".sse-widget-thinking-dropped"));
    assert.equal(notice.hidden, true);
    stream.drain();
    assert.equal(notice.hidden, false);
    assert.equal(notice.textContent, "8 earlier characters not kept");
    assert.equal(stream.shown(), "89abc");
  });

  /**
   * Time each write of the section's view: `msPerChar` of the fake clock per character.
   * @param {ReturnType<typeof thinkingStream>} stream
   * @param {number} msPerChar
   */
  function timeWrites(stream, msPerChar) {
    /** @type {number[][]} */
    const frames = [[]];
    const view = stream.section.view;
    const write = view.write.bind(view);
    view.write = (text) => {
      frames[frames.length - 1].push(text.length);
      stream.advance(text.length * msPerChar);
      write(text);
    };
    const commit = view.commit.bind(view);
    view.commit = (live) => {
      frames.push([]);
      commit(live);
    };
    return frames;
  }

  // 4 ms a slice: two slices fill a frame's budget.
  const MS_PER_CHAR = FRAME_BUDGET_MS / (2 * SLICE_CHARS);
  const REASONING = Array.from({ length: 2000 }, (_, i) => `step ${i}: ${"consider ".repeat(10)}\n`).join("");

  it("feeds 200 KB of reasoning deltas in bounded slices, about a frame's budget at a time", () => {
    const stream = thinkingStream();
    const frames = timeWrites(stream, MS_PER_CHAR);
    assert.ok(REASONING.length > 200_000);
    for (let at = 0; at < REASONING.length; at += 100) stream.send({ reasoning: REASONING.slice(at, at + 100) });
    stream.drain();
    frames.pop(); // opened by the last commit
    const perFrame = frames.map((writes) => writes.reduce((sum, n) => sum + n, 0));
    assert.ok(frames.flat().every((n) => n <= SLICE_CHARS));
    // A frame writes until the budget is gone: at most one slice past it.
    assert.ok(perFrame.every((chars) => chars * MS_PER_CHAR < FRAME_BUDGET_MS + 100 * MS_PER_CHAR), `${Math.max(...perFrame)}`);
    assert.ok(frames.length >= REASONING.length / (2 * SLICE_CHARS + 100), `${frames.length} frames`);
    assert.equal(stream.shown(), REASONING);
  });

  it("feeds a 200 KB reasoning snapshot in slices of at most 1 K, two a frame", () => {
    const stream = thinkingStream();
    const frames = timeWrites(stream, MS_PER_CHAR);
    stream.store.catchUp(1);
    stream.store.receive({ kind: "snapshot", gen: 1, seq: 1, part: 0, parts: 1, text: "", reasoning: REASONING });
    stream.drain();
    frames.pop();
    assert.ok(frames.every((writes) => writes.length === 2 || writes === frames.at(-1)));
    assert.ok(frames.flat().every((n) => n <= SLICE_CHARS));
    assert.equal(frames.length, Math.ceil(REASONING.length / (2 * SLICE_CHARS)));
    assert.equal(stream.shown(), REASONING);
  });
});
