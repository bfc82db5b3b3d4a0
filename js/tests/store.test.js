// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { StreamStore, SYNC_RETRY_MS } from "../store.js";
import { FakeKernel } from "./kernel.js";

/** @param {number} [maxRows] */
function setup(maxRows = 500) {
  /** @type {[number, number][]} */
  const syncs = [];
  /** @type {import("../store.js").Change[]} */
  const changes = [];
  let now = 0;
  const store = new StreamStore({
    requestSync: (gen, seq) => syncs.push([gen, seq]),
    onChange: (change) => changes.push(change),
    maxRows,
    now: () => now,
  });
  return { store, syncs, changes, advance: (/** @type {number} */ ms) => (now += ms) };
}

/**
 * @param {number} gen
 * @param {number} seq
 * @param {string} text
 * @param {import("../store.js").Row[]} [rows]
 */
const delta = (gen, seq, text, rows) => ({ kind: "delta", gen, seq, text, rows });
/**
 * @param {number} gen
 * @param {number} seq
 * @param {number} part
 * @param {number} parts
 * @param {string} text
 */
const snapshot = (gen, seq, part, parts, text) => ({ kind: "snapshot", gen, seq, part, parts, text });

/**
 * A change as a short list, to compare in order.
 * @param {import("../store.js").Change} change
 */
const brief = (change) => {
  if (change.type === "trim" || change.type === "reasoning-trim") return [change.type, change.units, change.dropped];
  if (change.type === "tool") return [change.type, change.call.i, change.args];
  if (change.type === "tools") return [change.type, change.calls.length];
  if (change.type === "finish") return [change.type, change.reason];
  return [change.type, change.text];
};

describe("StreamStore", () => {
  it("applies deltas in order and asks for nothing", () => {
    const { store, syncs, changes } = setup();
    for (const [seq, text] of [[1, "Hel"], [2, "lo, "], [3, "world"]]) {
      store.receive(delta(1, /** @type {number} */ (seq), /** @type {string} */ (text)));
    }
    assert.equal(store.text, "Hello, world");
    assert.equal(store.seq, 3);
    assert.deepEqual(syncs, []);
    assert.deepEqual(
      changes.map(brief),
      [["reset", ""], ["append", "Hel"], ["append", "lo, "], ["append", "world"]],
    );
  });

  it("asks for a snapshot once at a gap, ignores deltas until it arrives, then goes on", () => {
    const { store, syncs } = setup();
    store.receive(delta(1, 1, "a"));
    store.receive(delta(1, 3, "c")); // 2 is missing
    store.receive(delta(1, 4, "d"));
    assert.deepEqual(syncs, [[1, 1]]);
    assert.equal(store.text, "a");
    store.receive(snapshot(1, 4, 0, 1, "abcd"));
    assert.equal(store.text, "abcd");
    assert.equal(store.syncing, false);
    store.receive(delta(1, 4, "d")); // a duplicate
    store.receive(delta(1, 5, "e"));
    assert.equal(store.text, "abcde");
  });

  it("assembles a snapshot sent in parts, appending each part as it comes", () => {
    const { store, changes } = setup();
    store.catchUp(2);
    store.receive(snapshot(2, 7, 0, 3, "one "));
    store.receive(snapshot(2, 7, 1, 3, "two "));
    assert.equal(store.syncing, true);
    store.receive(snapshot(2, 7, 2, 3, "three"));
    assert.equal(store.text, "one two three");
    assert.equal(store.seq, 7);
    assert.equal(store.syncing, false);
    assert.deepEqual(
      changes.slice(-3).map(brief),
      [["reset", "one "], ["append", "two "], ["append", "three"]],
    );
  });

  it("asks again when a snapshot part goes missing", () => {
    const { store, syncs } = setup();
    store.catchUp(1);
    store.receive(snapshot(1, 2, 0, 3, "x"));
    store.receive(snapshot(1, 2, 2, 3, "z"));
    assert.equal(syncs.length, 2);
    assert.equal(store.syncing, true);
  });

  it("ignores a snapshot it did not need (another view asked)", () => {
    const { store, changes } = setup();
    store.receive(delta(1, 1, "ab"));
    const before = changes.length;
    store.receive(snapshot(1, 1, 0, 1, "ab"));
    assert.equal(changes.length, before);
    assert.equal(store.text, "ab");
  });

  it("asks again when a requested snapshot never comes", () => {
    const { store, syncs, advance } = setup();
    store.receive(delta(1, 2, "b"));
    assert.equal(syncs.length, 1);
    advance(SYNC_RETRY_MS / 2);
    store.receive(delta(1, 3, "c"));
    assert.equal(syncs.length, 1);
    advance(SYNC_RETRY_MS);
    store.receive(delta(1, 4, "d"));
    assert.equal(syncs.length, 2);
  });

  it("starts over on a new generation and ignores the old one's late deltas", () => {
    const { store } = setup();
    store.receive(delta(1, 1, "old"));
    store.newGeneration(2);
    assert.equal(store.text, "");
    store.receive(delta(1, 2, " text"));
    store.receive(delta(2, 1, "new"));
    assert.equal(store.text, "new");
    assert.equal(store.gen, 2);
  });

  it("a delta of a newer generation resets even before the generation trait arrives", () => {
    const { store, syncs } = setup();
    store.receive(delta(1, 1, "old"));
    store.receive(delta(2, 1, "new"));
    assert.equal(store.text, "new");
    assert.deepEqual(syncs, []);
  });

  it("catchUp asks only when a stream has started", () => {
    const { store, syncs } = setup();
    store.catchUp(0);
    assert.deepEqual(syncs, []);
    store.catchUp(3);
    assert.deepEqual(syncs, [[3, 0]]);
  });

  it("keeps at most maxRows event rows, the newest", () => {
    const { store } = setup(3);
    const rows = (/** @type {number[]} */ ...ts) => ts.map((t) => ({ t, event: "m", id: null, data: "" }));
    store.receive(delta(1, 1, "", rows(1, 2)));
    store.receive(delta(1, 2, "", rows(3, 4, 5)));
    assert.deepEqual(store.rows.map((r) => r.t), [3, 4, 5]);
  });

  it("ignores messages that are not its own", () => {
    const { store, changes } = setup();
    for (const message of [null, 42, "delta", { kind: "other" }]) store.receive(message);
    assert.equal(changes.length, 0);
  });
});

describe("StreamStore with bounded text (max_chars)", () => {
  /**
   * @param {number} seq
   * @param {string} text
   * @param {number} [dropped]
   */
  const bounded = (seq, text, dropped) => ({ kind: "delta", gen: 1, seq, text, dropped });

  it("drops whole pieces and slices the first one it cuts, across piece boundaries", () => {
    const { store, changes } = setup();
    store.receive(bounded(1, "abc"));
    store.receive(bounded(2, "defg"));
    store.receive(bounded(3, "hij"));
    store.receive(bounded(4, "klm", 5)); // "abc" and "de" go
    assert.equal(store.text, "fghijklm");
    assert.equal(store.dropped, 5);
    store.receive(bounded(5, "n", 9)); // "fg" (the rest of a piece), "hi" (part of the next)
    assert.equal(store.text, "jklmn");
    assert.equal(store.dropped, 9);
    assert.deepEqual(changes.slice(-4).map(brief), [
      ["append", "klm"], ["trim", 5, 5], ["append", "n"], ["trim", 4, 9],
    ]);
  });

  it("a drop may reach into the text the same delta appended", () => {
    const { store, changes } = setup();
    store.receive(bounded(1, "0123"));
    store.receive(bounded(2, "456789", 7)); // a delta bigger than what is kept
    assert.equal(store.text, "789");
    assert.equal(store.dropped, 7);
    assert.deepEqual(changes.slice(-2).map(brief), [["append", "456789"], ["trim", 7, 7]]);
  });

  it("a delta without dropped leaves the count as it was and drops nothing", () => {
    const { store, changes } = setup();
    store.receive(bounded(1, "abcdef", 2));
    store.receive(bounded(2, "gh"));
    assert.equal(store.text, "cdefgh");
    assert.equal(store.dropped, 2);
    store.receive(bounded(3, "i", 2)); // the same total: nothing more goes
    assert.equal(store.text, "cdefghi");
    assert.equal(changes.filter((c) => c.type === "trim").length, 1);
  });

  it("drops no more than it holds when out of step", () => {
    const { store, changes } = setup();
    store.receive(bounded(1, "abc", 10));
    assert.equal(store.text, "");
    assert.equal(store.dropped, 10);
    assert.deepEqual(changes.at(-1), { type: "trim", units: 3, dropped: 10 });
    store.receive(bounded(2, "xyz", 11));
    assert.equal(store.text, "yz");
  });

  it("a snapshot holds the kept text and the count from its first part", () => {
    const { store, changes } = setup();
    store.catchUp(1);
    store.receive({ ...snapshot(1, 9, 0, 2, "kept "), dropped: 1000 });
    store.receive(snapshot(1, 9, 1, 2, "text"));
    assert.equal(store.text, "kept text");
    assert.equal(store.dropped, 1000);
    assert.deepEqual(changes.at(-2), { type: "reset", text: "kept ", rows: [], dropped: 1000 });
    store.receive(bounded(10, "!", 1003));
    assert.equal(store.text, "t text!");
    // A snapshot without the field: nothing was dropped.
    store.receive(snapshot(1, 12, 0, 1, "whole"));
    assert.equal(store.dropped, 0);
    assert.equal(store.text, "whole");
  });

  it("a new generation starts again at nothing dropped", () => {
    const { store, changes } = setup();
    store.receive(bounded(1, "old text", 4));
    assert.equal(store.dropped, 4);
    store.newGeneration(2);
    assert.equal(store.dropped, 0);
    assert.deepEqual(changes.at(-1), { type: "reset", text: "", rows: [], dropped: 0 });
    store.receive({ kind: "delta", gen: 2, seq: 1, text: "new" });
    assert.equal(store.text, "new");
    assert.equal(store.dropped, 0);
  });

  it("keeps in step with a kernel over many deltas, reading the text now and then", () => {
    const { store } = setup();
    const kernel = new FakeKernel(500);
    for (let i = 0; i < 3000; i += 1) {
      store.receive(kernel.delta(`${i} ${"word ".repeat(i % 7)}${i % 5 ? "" : "\n"}`));
      if (i % 97 === 0) assert.equal(store.text, kernel.text); // joins the pieces
    }
    assert.equal(store.text, kernel.text);
    assert.equal(store.dropped, kernel.dropped);
    assert.ok(store.text.length <= 500);
  });
});

describe("StreamStore: reasoning, tool calls and the finish reason", () => {
  /**
   * @param {number} seq
   * @param {Partial<import("../store.js").Delta>} fields
   * @returns {import("../store.js").Delta}
   */
  const model = (seq, fields, gen = 1) => ({ kind: "delta", gen, seq, text: "", ...fields });

  it("applies each delta's reasoning, tool updates and finish reason in order, and says so", () => {
    const { store, changes } = setup();
    store.receive(model(1, { reasoning: "Let me " }));
    store.receive(model(2, { reasoning: "think." }));
    store.receive(model(3, { text: "Calling.", tools: [{ i: 0, id: "call_1", name: "get_weather", args: '{"ci' }] }));
    store.receive(model(4, { tools: [{ i: 0, args: 'ty": "Oslo"}', done: true }, { i: 1, name: "now" }] }));
    store.receive(model(5, { finish: "tool_calls" }));
    assert.equal(store.reasoning, "Let me think.");
    assert.equal(store.text, "Calling.");
    assert.deepEqual(store.tools, [
      { i: 0, id: "call_1", name: "get_weather", args: '{"city": "Oslo"}', done: true },
      { i: 1, id: null, name: "now", args: "", done: false },
    ]);
    assert.equal(store.finish, "tool_calls");
    assert.deepEqual(changes.map(brief), [
      ["reset", ""],
      ["reasoning", "Let me "], ["reasoning", "think."],
      ["append", "Calling."], ["tool", 0, '{"ci'],
      ["tool", 0, 'ty": "Oslo"}'], ["tool", 1, ""],
      ["finish", "tool_calls"],
    ]);
    const done = /** @type {import("../store.js").ToolChange} */ (changes[5]);
    assert.deepEqual(done.call, store.tools[0]); // the whole call as it is now
  });

  it("keeps a call's id and name from when they are first known and its done for good", () => {
    const { store } = setup();
    store.receive(model(1, { tools: [{ i: 0, args: "{" }] })); // some providers name it late
    store.receive(model(2, { tools: [{ i: 0, id: "a", name: "first", args: "}", done: true }] }));
    store.receive(model(3, { tools: [{ i: 0, id: "b", name: "second", done: false }] }));
    assert.deepEqual(store.tools, [{ i: 0, id: "a", name: "first", args: "{}", done: true }]);
  });

  it("ignores a tool update that would leave a hole, and malformed ones", () => {
    const { store, changes } = setup();
    store.receive(model(1, {
      tools: /** @type {any} */ ([{ i: 2, name: "far" }, null, { i: -1 }, { i: "0" }, { i: 0, name: "ok" }]),
    }));
    assert.deepEqual(store.tools.map((call) => call.name), ["ok"]);
    assert.equal(changes.filter((change) => change.type === "tool").length, 1);
  });

  it("applies a delta after a gap not at all, then takes all three from the snapshot", () => {
    const { store, syncs, changes } = setup();
    store.receive(model(1, { reasoning: "first " }));
    store.receive(model(3, { reasoning: "third", tools: [{ i: 0, name: "x" }], finish: "stop" }));
    assert.deepEqual(syncs, [[1, 1]]);
    assert.equal(store.reasoning, "first ");
    assert.deepEqual(store.tools, []);
    assert.equal(store.finish, null);
    const before = changes.length;
    store.receive({
      kind: "snapshot", gen: 1, seq: 3, part: 0, parts: 2, text: "answer ",
      reasoning: "first second third", tools: [{ i: 0, id: "c", name: "x", args: "{}", done: true }], finish: "stop",
    });
    store.receive({ kind: "snapshot", gen: 1, seq: 3, part: 1, parts: 2, text: "text" });
    assert.deepEqual(changes.slice(before).map(brief), [
      ["reset", "answer "], ["reasoning-reset", "first second third"], ["tools", 1], ["finish", "stop"],
      ["append", "text"],
    ]);
    assert.equal(store.reasoning, "first second third");
    assert.deepEqual(store.tools, [{ i: 0, id: "c", name: "x", args: "{}", done: true }]);
    store.receive(model(3, { reasoning: " again" })); // in the snapshot already
    store.receive(model(4, { reasoning: " more" }));
    assert.equal(store.reasoning, "first second third more");
    assert.equal(store.syncing, false);
  });

  it("a snapshot without the fields has none of them, and tells what it cleared", () => {
    const { store, changes } = setup();
    store.receive(model(1, { reasoning: "hmm", tools: [{ i: 0, name: "t" }], finish: "length" }));
    store.receive({ kind: "snapshot", gen: 1, seq: 5, part: 0, parts: 1, text: "plain" });
    assert.equal(store.reasoning, "");
    assert.deepEqual(store.tools, []);
    assert.equal(store.finish, null);
    assert.deepEqual(changes.slice(-4).map(brief), [
      ["reset", "plain"], ["reasoning-reset", ""], ["tools", 0], ["finish", null],
    ]);
  });

  it("a snapshot's later parts may carry more reasoning, appended in order", () => {
    const { store } = setup();
    store.catchUp(1);
    store.receive({ kind: "snapshot", gen: 1, seq: 2, part: 0, parts: 3, text: "a", reasoning: "r1 " });
    store.receive({ kind: "snapshot", gen: 1, seq: 2, part: 1, parts: 3, text: "b", reasoning: "r2 " });
    store.receive({ kind: "snapshot", gen: 1, seq: 2, part: 2, parts: 3, text: "c", reasoning: "r3" });
    assert.equal(store.reasoning, "r1 r2 r3");
    assert.equal(store.text, "abc");
  });

  it("a new generation clears reasoning, tools and finish reason", () => {
    const { store, changes } = setup();
    store.receive(model(1, { reasoning: "old", tools: [{ i: 0, name: "t" }], finish: "length" }));
    store.newGeneration(2);
    assert.equal(store.reasoning, "");
    assert.deepEqual(store.tools, []);
    assert.equal(store.finish, null);
    assert.equal(store.answered, false);
    assert.deepEqual(changes.slice(-4), [
      { type: "reset", text: "", rows: [], dropped: 0 },
      { type: "reasoning-reset", text: "", dropped: 0 },
      { type: "tools", calls: [] },
      { type: "finish", reason: null },
    ]);
    store.receive(model(1, { reasoning: "new" }, 1)); // the old generation's, late
    store.receive(model(1, { reasoning: "new" }, 2));
    assert.equal(store.reasoning, "new");
  });

  it("a stream without reasoning or tools hears nothing of them", () => {
    const { store, changes } = setup();
    store.receive(model(1, { text: "just text" }));
    store.newGeneration(2);
    store.receive(model(1, { text: "again" }, 2));
    assert.deepEqual(changes.map((change) => change.type), ["reset", "append", "reset", "append"]);
  });

  it("says the answer began with its first text or tool call, not with reasoning", () => {
    const { store } = setup();
    store.receive(model(1, { reasoning: "thinking" }));
    assert.equal(store.answered, false);
    store.receive(model(2, { tools: [{ i: 0, name: "search" }] }));
    assert.equal(store.answered, true);
    store.newGeneration(2);
    store.receive(model(1, { reasoning: "thinking" }, 2));
    store.receive(model(2, { text: "Hi" }, 2));
    assert.equal(store.answered, true);
  });

  it("drops the oldest reasoning as the kernel says (reasoning_dropped), as it does text", () => {
    const { store, changes } = setup();
    store.receive(model(1, { reasoning: "abc" }));
    store.receive(model(2, { reasoning: "defg" }));
    store.receive(model(3, { reasoning: "hij", reasoning_dropped: 5 }));
    assert.equal(store.reasoning, "fghij");
    assert.equal(store.reasoningDropped, 5);
    store.receive(model(4, { reasoning: "k" })); // absent: unchanged
    assert.equal(store.reasoning, "fghijk");
    assert.deepEqual(changes.slice(-3).map(brief), [["reasoning", "hij"], ["reasoning-trim", 5, 5], ["reasoning", "k"]]);
    store.receive({ kind: "snapshot", gen: 1, seq: 9, part: 0, parts: 1, text: "", reasoning: "tail", reasoning_dropped: 40 });
    assert.equal(store.reasoningDropped, 40);
    assert.deepEqual(changes.at(-1), { type: "reasoning-reset", text: "tail", dropped: 40 });
  });

  it("keeps at most maxReasoning units itself, cutting a sixteenth more, never inside a pair", () => {
    /** @type {import("../store.js").Change[]} */
    const changes = [];
    const store = new StreamStore({ requestSync: () => {}, onChange: (c) => changes.push(c), maxReasoning: 160 });
    let sent = "";
    for (let seq = 1; seq <= 100; seq += 1) {
      const piece = seq % 3 ? `${seq}😀 ` : `word${seq} `;
      sent += piece;
      store.receive(model(seq, { reasoning: piece }));
      assert.ok(store.reasoning.length <= 160, `${store.reasoning.length} kept`);
      assert.equal(store.reasoning, sent.slice(store.reasoningDropped));
      const first = store.reasoning.charCodeAt(0);
      assert.ok(!(first >= 0xdc00 && first <= 0xdfff), "starts with half a pair");
    }
    const trims = changes.filter((change) => change.type === "reasoning-trim");
    // Each cut frees a sixteenth more than the excess: far fewer cuts than pieces.
    assert.ok(trims.length > 5 && trims.length < 50, `${trims.length} cuts`);
    for (const trim of trims) assert.ok(trim.units >= 10, `${trim.units} units cut`);
    // A snapshot's reasoning longer than that is cut to the newest at once.
    store.receive({ kind: "snapshot", gen: 1, seq: 200, part: 0, parts: 1, text: "", reasoning: "x".repeat(1000) });
    assert.ok(store.reasoning.length <= 160);
    assert.equal(store.reasoningDropped, 1000 - store.reasoning.length);
  });

  it("passes on the reasoning token count with the other figures", () => {
    /** @type {import("../format.js").Stats[]} */
    const figures = [];
    const store = new StreamStore({ requestSync: () => {}, onChange: () => {}, onStats: (s) => figures.push(s) });
    store.receive(model(1, { reasoning: "r", stats: { tokens: 0, reasoning_tokens: 7 } }));
    assert.equal(figures.at(-1)?.reasoning_tokens, 7);
  });
});
