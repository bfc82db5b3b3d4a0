// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { StreamStore } from "../store.js";
import { ToolCards } from "../tools.js";
import { SharedFrame } from "../views.js";
import { makeWindow } from "./dom.js";

const window = makeWindow();
const { document } = window;

/** A store and tool cards wired as the widget wires them; frames run by hand. */
function toolStream() {
  let live = true;
  /** @type {(() => void)[]} */
  const queue = [];
  const frame = new SharedFrame((callback) => queue.push(callback), () => 0);
  const body = document.createElement("div");
  const answer = document.createElement("div");
  body.append(answer);
  /** @type {Map<HTMLButtonElement, () => string>} */
  const copies = new Map();
  const cards = new ToolCards(document, body, {
    frame,
    live: () => live,
    copy: (button, text) => copies.set(button, text),
  });
  const store = new StreamStore({
    requestSync: () => {},
    onChange: (change) => {
      if (change.type === "tools" || change.type === "tool") cards.change(change);
    },
  });
  let seq = 0;
  /** @param {string} selector */
  const all = (selector) => [...body.querySelectorAll(selector)];
  return {
    store,
    body,
    copies,
    /** @param {import("../store.js").ToolUpdate[]} tools */
    send: (tools) => store.receive({ kind: "delta", gen: store.gen || 1, seq: (seq += 1), text: "", tools }),
    end() {
      live = false;
      cards.update();
    },
    restart() {
      seq = 0;
      store.newGeneration(store.gen + 1);
    },
    drain() {
      while (queue.length > 0) /** @type {() => void} */ (queue.shift())();
    },
    all,
    /** What each card shows: [name, id, state, marker shown, arguments]. */
    cards: () => all(".sse-widget-tool").map((card) => [
      card.querySelector(".sse-widget-tool-name")?.textContent,
      /** @type {HTMLElement} */ (card.querySelector(".sse-widget-tool-id")).hidden
        ? null : card.querySelector(".sse-widget-tool-id")?.textContent,
      /** @type {HTMLElement} */ (card).dataset.state,
      !(/** @type {HTMLElement} */ (card.querySelector(".sse-widget-tool-marker")).hidden),
      card.querySelector(".sse-widget-tool-args")?.textContent,
    ]),
  };
}

describe("tool call cards", () => {
  it("are not there for a stream without tool calls", () => {
    const stream = toolStream();
    stream.store.receive({ kind: "delta", gen: 1, seq: 1, text: "text only" });
    stream.drain();
    assert.equal(stream.body.querySelector(".sse-widget-tools"), null);
  });

  it("fill in as the call streams, below the answer, then show the arguments as formatted JSON", () => {
    const stream = toolStream();
    stream.send([{ i: 0, id: "call_9", name: "get_weather", args: '{"city":' }]);
    stream.drain();
    assert.equal(stream.body.lastElementChild?.className, "sse-widget-tools");
    assert.deepEqual(stream.cards(), [["get_weather", "call_9", "streaming", false, '{"city":']]);
    const caret = stream.body.querySelector(".sse-widget-tool .sse-widget-caret");
    assert.equal(caret?.hasAttribute("hidden"), false, "no caret while the arguments stream");
    stream.send([{ i: 0, args: '"Oslo","days":[1,2]}' }, { i: 1, name: "clock" }]);
    stream.drain();
    assert.deepEqual(stream.cards(), [
      ["get_weather", "call_9", "streaming", false, '{"city":"Oslo","days":[1,2]}'],
      ["clock", null, "streaming", false, ""],
    ]);
    stream.send([{ i: 0, done: true }, { i: 1, done: true }]);
    stream.drain();
    assert.deepEqual(stream.cards(), [
      ["get_weather", "call_9", "done", false, '{\n  "city": "Oslo",\n  "days": [\n    1,\n    2\n  ]\n}'],
      ["clock", null, "done", false, "{}"],
    ]);
    assert.equal(caret?.hasAttribute("hidden"), true);
    assert.deepEqual(stream.all(".sse-widget-tool").map((card) => /** @type {HTMLElement} */ (card).dataset.index), ["0", "1"]);
  });

  it("mark arguments that do not parse and show them as they came", () => {
    const stream = toolStream();
    stream.send([{ i: 0, name: "write_file", args: '{"path": "a.txt", "text": "cut sho' }]);
    stream.send([{ i: 0, done: true }]);
    stream.drain();
    assert.deepEqual(stream.cards(), [["write_file", null, "invalid", true, '{"path": "a.txt", "text": "cut sho']]);
    const marker = /** @type {HTMLElement} */ (stream.body.querySelector(".sse-widget-tool-marker"));
    assert.equal(marker.textContent, "not valid JSON");
    assert.match(marker.title, /not valid JSON/);
  });

  it("show untrusted names, ids and arguments as text, never as HTML", () => {
    const stream = toolStream();
    const hostile = '<img src=x onerror="globalThis.pwned=1">';
    stream.send([{ i: 0, id: hostile, name: hostile, args: `{"html": "${hostile.replaceAll('"', '\\"')}"}`, done: true }]);
    stream.send([{ i: 1, name: "raw", args: hostile, done: true }]); // not JSON either
    stream.drain();
    assert.equal(stream.body.querySelector("img"), null);
    const [first, second] = stream.cards();
    assert.equal(first[0], hostile);
    assert.equal(first[1], hostile);
    assert.match(String(first[4]), /"html": "<img src=x onerror=\\"globalThis.pwned=1\\">"/);
    assert.deepEqual(second.slice(2), ["invalid", true, hostile]);
    assert.equal(/** @type {any} */ (window).pwned, undefined);
  });

  it("are replaced by a snapshot's calls, and go with a new run", () => {
    const stream = toolStream();
    stream.send([{ i: 0, name: "old", args: "{}" }]);
    stream.store.receive({
      kind: "snapshot", gen: 1, seq: 9, part: 0, parts: 1, text: "",
      tools: [
        { i: 1, id: "b", name: "second", args: '{"n": 2}', done: false },
        { i: 0, id: "a", name: "first", args: '{"n":1}', done: true },
      ],
    });
    stream.drain();
    assert.deepEqual(stream.cards(), [
      ["first", "a", "done", false, '{\n  "n": 1\n}'],
      ["second", "b", "streaming", false, '{"n": 2}'],
    ]);
    stream.restart();
    stream.drain();
    assert.equal(stream.body.querySelector(".sse-widget-tools"), null);
    stream.send([{ i: 0, name: "fresh" }]);
    assert.deepEqual(stream.cards().map((card) => card[0]), ["fresh"]);
  });

  it("copy what they show: the arguments as they came, then formatted", () => {
    const stream = toolStream();
    stream.send([{ i: 0, name: "f", args: '{"a":1' }]);
    const [[button, text]] = stream.copies;
    assert.equal(button.textContent, "Copy");
    assert.ok(button.classList.contains("sse-widget-tool-copy"));
    assert.equal(text(), '{"a":1');
    stream.send([{ i: 0, args: "}", done: true }]);
    assert.equal(text(), '{\n  "a": 1\n}');
  });

  it("lose their caret when the stream ends with a call unfinished", () => {
    const stream = toolStream();
    stream.send([{ i: 0, name: "f", args: '{"a"' }]);
    stream.drain();
    const caret = /** @type {Element} */ (stream.body.querySelector(".sse-widget-tool .sse-widget-caret"));
    assert.equal(caret.hasAttribute("hidden"), false);
    stream.end();
    stream.drain();
    assert.equal(caret.hasAttribute("hidden"), true);
    assert.deepEqual(stream.cards()[0].slice(2), ["streaming", false, '{"a"']);
  });
});
