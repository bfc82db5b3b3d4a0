// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ASK_AFTER_MS, ASK_AGAIN_MS, load, partsCollector } from "../loader.js";
import { entry, provide } from "../registry.js";

let keys = 0;
/** A fresh registry key per test: the registry is one for the whole page (process). */
const freshKey = () => `test-key-${(keys += 1)}`;

/** @param {string} key */
function fakeModel(key) {
  /** @type {unknown[]} */
  const sent = [];
  /** @type {Set<(message: any) => void>} */
  const listeners = new Set();
  return {
    sent,
    listeners,
    /** @param {string} name */
    get: (name) => (name === "_module_key" ? key : undefined),
    /** @param {unknown} content */
    send: (content) => sent.push(content),
    /** @param {string} _name @param {(message: any) => void} callback */
    on: (_name, callback) => listeners.add(callback),
    /** @param {string} _name @param {(message: any) => void} callback */
    off: (_name, callback) => listeners.delete(callback),
    /** @param {unknown} message */
    deliver(message) {
      for (const listener of [...listeners]) listener(message);
    },
  };
}

function fakeHost() {
  let now = 0;
  /** @type {{ at: number, callback: () => void }[]} */
  let timers = [];
  /** @type {string[]} */
  const imported = [];
  return {
    imported,
    now: () => now,
    /** @param {() => void} callback @param {number} ms */
    setTimeout: (callback, ms) => timers.push({ at: now + ms, callback }),
    /** @param {string} source */
    importSource: async (source) => {
      imported.push(source);
      return { api: { render: () => `rendered by ${source.length} characters` } };
    },
    /** @param {number} ms */
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.callback();
    },
  };
}

const api = { render: () => "the module's own" };

describe("loader", () => {
  it("uses the module the page has already, asking nothing", async () => {
    const key = freshKey();
    provide(key, api);
    const model = fakeModel(key);
    assert.equal(await load(model, fakeHost()), api);
    assert.deepEqual(model.sent, []);
  });

  it("waits for the module widget when it comes soon", async () => {
    const key = freshKey();
    const model = fakeModel(key);
    const host = fakeHost();
    const loading = load(model, host);
    host.advance(ASK_AFTER_MS / 2);
    provide(key, api);
    assert.equal(await loading, api);
    host.advance(10 * ASK_AGAIN_MS);
    assert.deepEqual(model.sent, []);
    assert.equal(model.listeners.size, 0, "the loader stopped listening");
  });

  it("asks its kernel when no module widget comes (marimo), and loads the parts", async () => {
    const key = freshKey();
    const model = fakeModel(key);
    const host = fakeHost();
    const loading = load(model, host);
    host.advance(ASK_AFTER_MS);
    assert.deepEqual(model.sent, [{ kind: "module", key }]);
    model.deliver({ kind: "module", key, part: 0, parts: 2, source: "export const api" });
    model.deliver({ kind: "delta", gen: 1, seq: 1, text: "not for the loader" });
    model.deliver({ kind: "module", key, part: 1, parts: 2, source: " = {};" });
    const loaded = await loading;
    assert.deepEqual(host.imported, ["export const api = {};"]);
    assert.equal(loaded.render({ model, el: /** @type {any} */ (null) }), "rendered by 22 characters");
    assert.equal(entry(key).settled, true);
  });

  it("asks once for every widget of the page, and again only if no answer comes", () => {
    const key = freshKey();
    const host = fakeHost();
    const models = [fakeModel(key), fakeModel(key), fakeModel(key)];
    for (const model of models) load(model, host);
    host.advance(ASK_AFTER_MS);
    assert.equal(models.flatMap((model) => model.sent).length, 1);
    host.advance(ASK_AGAIN_MS);
    assert.equal(models.flatMap((model) => model.sent).length, 2);
  });
});

describe("partsCollector", () => {
  it("starts over at part 0 and ignores parts out of order or for another build", () => {
    /** @type {string[]} */
    const done = [];
    const collect = partsCollector("k", (source) => done.push(source));
    collect({ kind: "module", key: "k", part: 0, parts: 3, source: "a" });
    collect({ kind: "module", key: "k", part: 2, parts: 3, source: "lost" });
    collect({ kind: "module", key: "other", part: 1, parts: 3, source: "x" });
    collect({ kind: "module", key: "k", part: 0, parts: 2, source: "b" });
    collect({ kind: "module", key: "k", part: 1, parts: 2, source: "c" });
    assert.deepEqual(done, ["bc"]);
  });
});
