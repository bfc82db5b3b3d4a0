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
const brief = (change) =>
  change.type === "trim" ? [change.type, change.units, change.dropped] : [change.type, change.text];

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
