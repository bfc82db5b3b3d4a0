// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { StreamStore, SYNC_RETRY_MS } from "../store.js";

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
      changes.map((c) => [c.type, c.text]),
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
      changes.slice(-3).map((c) => [c.type, c.text]),
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
