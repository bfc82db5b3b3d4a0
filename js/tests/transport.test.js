// @ts-check
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import { ALIVE_MS, FLUSH_MS, PageRequest, blockedByCors } from "../transport.js";

/**
 * A page's window as far as the transport uses it; `fetch` answers the CORS probe.
 * @param {{ reachable?: boolean }} [options]
 */
function fakeWindow({ reachable = true } = {}) {
  /** @type {Map<string, () => void>} */
  const listeners = new Map();
  const window = {
    document: { hidden: false },
    location: { origin: "http://127.0.0.1:8888" },
    probes: /** @type {string[]} */ ([]),
    listeners,
    setTimeout, clearTimeout, setInterval, clearInterval,
    /** @param {string} name @param {() => void} listener */
    addEventListener: (name, listener) => listeners.set(name, listener),
    /** @param {string} name */
    removeEventListener: (name) => listeners.delete(name),
    /** @param {string} url @param {RequestInit} init */
    fetch: async (url, init) => {
      window.probes.push(`${init.mode} ${init.method} ${url}`);
      if (!reachable) throw new TypeError("Failed to fetch");
      return {};
    },
  };
  return window;
}

/**
 * A stand-in for fetch-event-source: records its options and lets the test play the
 * server's part through them; resolves when aborted, as the library does.
 */
function fakeLibrary() {
  /** @type {{ url: string, options: any }[]} */
  const calls = [];
  /** @type {(value?: unknown) => void} */
  let finish = () => {};
  /** @type {(error: unknown) => void} */
  let fail = () => {};
  /** @param {string} url @param {any} options */
  const library = (url, options) => {
    calls.push({ url, options });
    return new Promise((resolve, reject) => {
      finish = resolve;
      fail = reject;
      options.signal.addEventListener("abort", () => resolve(undefined));
    });
  };
  return {
    calls,
    library: /** @type {any} */ (library),
    get options() {
      return calls[calls.length - 1].options;
    },
    /** The body ended: onclose, then the promise resolves. */
    close() {
      this.options.onclose();
      finish();
    },
    /** A failure: onerror decides, and its throw rejects the promise. @param {unknown} error */
    error(error) {
      try {
        this.options.onerror(error);
      } catch (thrown) {
        fail(thrown);
      }
    },
  };
}

/** @param {number} status @param {Record<string, string>} headers @param {string} [body] */
function response(status, headers, body = "") {
  return new Response(status === 204 ? null : body, { status, headers });
}

const REQUEST = {
  kind: "request",
  attempt: 1,
  url: "http://127.0.0.1:11434/v1/chat/completions",
  method: "POST",
  headers: [["authorization", "Bearer sk-fake"], ["content-type", "application/json"]],
  body: '{"stream":true}',
  base64: false,
};

/** Every page request made: each stops after its test (its timers would hold node). */
const made = /** @type {PageRequest[]} */ ([]);
afterEach(() => {
  for (const page of made.splice(0)) page.stop();
});

/** A page request wired to fakes; `said` holds what it sent the kernel. */
function setup(options = {}) {
  const window = fakeWindow(options);
  const fake = fakeLibrary();
  /** @type {any[]} */
  const said = [];
  const page = new PageRequest({
    send: (message) => said.push(message),
    window: /** @type {any} */ (window),
    fetchEventSource: fake.library,
  });
  made.push(page);
  return { window, fake, said, page, request: { ...REQUEST, view: page.view } };
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = () => sleep(0);

describe("PageRequest", () => {
  it("volunteers when drawn and when the kernel calls; ignores another view's request", async () => {
    const { fake, said, page } = setup();
    page.volunteer();
    assert.equal(page.receive({ kind: "call", attempt: 1 }), true);
    assert.deepEqual(said, [
      { kind: "volunteer", view: page.view },
      { kind: "volunteer", view: page.view },
    ]);
    assert.equal(page.receive({ ...REQUEST, view: "someone-else" }), true);
    await settle();
    assert.equal(fake.calls.length, 0);
    assert.equal(page.receive({ kind: "delta", text: "x" }), false); // the store's
  });

  it("makes the request as handed over, once, keeping it when the tab is hidden", async () => {
    const { fake, page, request } = setup();
    page.receive(request);
    await settle();
    assert.equal(fake.calls.length, 1);
    const { url, options } = fake.calls[0];
    assert.equal(url, REQUEST.url);
    assert.equal(options.method, "POST");
    assert.deepEqual(options.headers, { authorization: "Bearer sk-fake", "content-type": "application/json" });
    assert.equal(options.body, '{"stream":true}');
    assert.equal(options.openWhenHidden, true); // no second request when the tab comes back
    assert.equal(options.cache, "no-store");
    assert.equal(options.credentials, "omit");
    page.stop();
  });

  it("sends a binary body as bytes", async () => {
    const { fake, page, request } = setup();
    page.receive({ ...request, body: "/wByYXc=", base64: true });
    await settle();
    assert.deepEqual([...fake.options.body], [0xff, 0x00, 0x72, 0x61, 0x77]);
    page.stop();
  });

  it("forwards the response, the events in batches, then the end, in order", async () => {
    const { fake, said, page, request } = setup();
    page.receive(request);
    await settle();
    await fake.options.onopen(response(200, { "content-type": "text/event-stream" }));
    for (let i = 0; i < 5; i += 1) fake.options.onmessage({ event: "", data: `t${i}`, id: "", retry: undefined });
    fake.options.onmessage({ event: "", data: "", id: "", retry: undefined }); // a blank line after a comment
    fake.options.onmessage({ event: "", data: "", id: "9", retry: undefined }); // moves the id
    fake.close();
    await settle();
    const kinds = said.map((m) => m.kind);
    // The response was a message just now: the events wait for the next slot, then go
    // together (the end flushes them first).
    assert.deepEqual(kinds, ["response", "events", "end"]);
    const [open, batch] = said;
    assert.equal(open.status, 200);
    assert.deepEqual(open.headers, [["content-type", "text/event-stream"]]);
    assert.deepEqual(batch.events.map((/** @type {any[]} */ e) => e.slice(1, 3)), [
      ["t0", ""], ["t1", ""], ["t2", ""], ["t3", ""], ["t4", ""], ["", "9"],
    ]);
    for (const message of said) {
      assert.equal(message.view, page.view);
      assert.equal(message.attempt, 1);
      assert.equal(message.hidden, false);
    }
  });

  it("sends at most about one message per FLUSH_MS however fast events come", async () => {
    const { fake, said, page, request } = setup();
    page.receive(request);
    await settle();
    await fake.options.onopen(response(200, { "content-type": "text/event-stream" }));
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 10 * FLUSH_MS) {
      fake.options.onmessage({ event: "", data: `t${sent}`, id: "", retry: undefined });
      sent += 1;
      await sleep(1);
    }
    fake.close();
    const batches = said.filter((m) => m.kind === "events");
    assert.ok(batches.length <= 12, `${batches.length} messages for ${sent} events`);
    const data = batches.flatMap((m) => m.events.map((/** @type {any[]} */ e) => e[1]));
    assert.deepEqual(data, Array.from({ length: sent }, (_, i) => `t${i}`));
  });

  it("sends a rejected response's status, headers and first bytes, and no end", async () => {
    const { fake, said, page, request } = setup();
    page.receive(request);
    await settle();
    const body = JSON.stringify({ error: { message: "Incorrect API key provided" } }) + "x".repeat(5000);
    await assert.rejects(fake.options.onopen(response(401, { "content-type": "application/json" }, body)));
    assert.equal(said.length, 1);
    assert.equal(said[0].kind, "response");
    assert.equal(said[0].status, 401);
    assert.ok(said[0].body.startsWith('{"error":{"message":"Incorrect API key provided"}}'), said[0].body.slice(0, 80));
    assert.ok(said[0].body.length <= 2048 + 100);
  });

  it("tells CORS from a network failure with a no-cors probe", async () => {
    for (const [reachable, error] of [[true, "cors"], [false, "network"]]) {
      const { fake, said, page, request, window } = setup({ reachable: Boolean(reachable) });
      page.receive(request);
      await settle();
      fake.error(new TypeError("Failed to fetch"));
      await sleep(5);
      assert.deepEqual(window.probes, [`no-cors GET ${REQUEST.url}`]);
      assert.deepEqual(said.map((m) => [m.kind, m.error, m.origin]), [["fail", error, "http://127.0.0.1:8888"]]);
    }
  });

  it("a failure after the response is a lost connection, without a probe", async () => {
    const { fake, said, page, request, window } = setup();
    page.receive(request);
    await settle();
    await fake.options.onopen(response(200, { "content-type": "text/event-stream" }));
    fake.options.onmessage({ event: "", data: "half", id: "", retry: undefined });
    fake.error(new TypeError("network error"));
    await sleep(5);
    assert.deepEqual(said.map((m) => m.kind), ["response", "events", "fail"]);
    assert.equal(said[2].error, "lost");
    assert.deepEqual(window.probes, []);
  });

  it("aborts when the kernel says so, and then says nothing more", async () => {
    const { fake, said, page, request } = setup();
    page.receive(request);
    await settle();
    await fake.options.onopen(response(200, { "content-type": "text/event-stream" }));
    page.receive({ kind: "abort", attempt: 2, view: page.view }); // another attempt: not this one
    assert.equal(fake.options.signal.aborted, false);
    page.receive({ kind: "abort", attempt: 1, view: page.view });
    assert.equal(fake.options.signal.aborted, true);
    fake.options.onmessage({ event: "", data: "late", id: "", retry: undefined });
    await sleep(FLUSH_MS + 10);
    assert.deepEqual(said.map((m) => m.kind), ["response"]);
  });

  it("says it is still there when the stream is quiet, and when it goes", async () => {
    const { fake, said, page, request, window } = setup();
    page.receive(request);
    await settle();
    await sleep(ALIVE_MS * 1.6);
    assert.ok(said.some((m) => m.kind === "alive"), JSON.stringify(said));
    window.listeners.get("pagehide")?.();
    assert.equal(said.at(-1).kind, "gone");
    assert.equal(fake.options.signal.aborted, true);
    const count = said.length;
    page.dispose(); // not making a request any more: nothing to say
    assert.equal(said.length, count);
  });
});

describe("blockedByCors", () => {
  it("is a GET in no-cors mode: it never sends the request's body or headers", async () => {
    const window = fakeWindow();
    assert.equal(await blockedByCors(/** @type {any} */ (window), "http://x/y"), true);
    assert.deepEqual(window.probes, ["no-cors GET http://x/y"]);
  });
});
