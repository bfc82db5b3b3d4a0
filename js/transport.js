// @ts-check
/**
 * `transport="browser"`: this view makes the request, when the kernel asks it to.
 *
 * The kernel keeps every decision (which view, when to retry, what an error means, the
 * extractor): a view volunteers when asked, makes the one request it is handed with
 * @microsoft/fetch-event-source, and forwards what comes back in order: the response's
 * status and headers (and a rejected one's first KB), the parsed events in batches (at
 * most ~30 messages a second), the end, or how it failed. The conversation is written
 * down in `sse_widget/_browser.py`.
 *
 * - fetch-event-source never retries here (its `onerror` rethrows): a retry is a new
 *   request from the kernel, under its policy (`"safe"` never re-sends an LLM request
 *   after partial output).
 * - `openWhenHidden`: a hidden tab keeps its request. Without it the library aborts on
 *   hide and sends the request again on show: a second, paid, answer.
 * - A request the browser refuses before any response is a network failure or CORS;
 *   fetch says only "Failed to fetch" for both. A `no-cors` GET of the same URL tells
 *   them apart: it reaches a server that is there (its answer is opaque, and ignored).
 * - Every message carries the body's bytes so far (comments count: the kernel's idle
 *   timeout) and whether the page is hidden (browsers then run timers once a minute,
 *   and the kernel waits longer before it counts the page as gone).
 */

import { fetchEventSource } from "@microsoft/fetch-event-source";

/** Milliseconds between messages to the kernel: at most ~30 a second. */
export const FLUSH_MS = 34;
/** Milliseconds of quiet after which a view says it is still there. */
export const ALIVE_MS = 1000;
/** Bytes of a rejected response's body sent to the kernel (its error shows them). */
export const BODY_BYTES = 2048;

/**
 * @typedef {{ kind: string, [key: string]: any }} Message
 * @typedef {{ attempt: number, view: string, url: string, method: string,
 *   headers: [string, string][], body: string | null, base64: boolean }} Request
 * @typedef {object} Run  one attempt in flight
 * @property {number} attempt
 * @property {AbortController} controller
 * @property {number} bytes  body bytes received
 * @property {boolean} opened  the response came
 * @property {(string | number | null)[][]} queue  events not sent yet
 * @property {number} sent  when the last message went (ms)
 * @property {number | null} flush  the timer of a flush to come
 * @property {number} alive  the timer saying "still here"
 */

/** Thrown from `onopen` when the response is not a stream: the fetch is over. */
class NotAStream extends Error {}

export class PageRequest {
  #send;
  #window;
  #fetchEventSource;
  /** @type {Run | null} */
  #run = null;

  /**
   * @param {object} options
   * @param {(message: Message) => void} options.send  a custom message to the kernel
   * @param {Window & typeof globalThis} options.window
   * @param {typeof fetchEventSource} [options.fetchEventSource]
   */
  constructor({ send, window, fetchEventSource: library = fetchEventSource }) {
    this.#send = send;
    this.#window = window;
    this.#fetchEventSource = library;
    this.view = `view-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    this.onPageHide = () => this.dispose();
    window.addEventListener("pagehide", this.onPageHide);
  }

  /** Offer to make the request (when drawn: the kernel may be waiting for a view). */
  volunteer() {
    this.#send({ kind: "volunteer", view: this.view });
  }

  /**
   * A message from the kernel; true when it was the transport's.
   * @param {Message} message
   */
  receive(message) {
    if (message.kind === "call") {
      this.volunteer();
    } else if (message.kind === "request") {
      if (message.view === this.view) void this.#start(/** @type {Request} */ (/** @type {unknown} */ (message)));
    } else if (message.kind === "abort") {
      if (message.view === this.view && message.attempt === this.#run?.attempt) this.stop();
    } else {
      return false;
    }
    return true;
  }

  /** Abort the request in flight, if this view makes one (the Stop button, or told to). */
  stop() {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    this.#window.clearInterval(run.alive);
    if (run.flush !== null) this.#window.clearTimeout(run.flush);
    run.controller.abort();
  }

  /** The view is going away: abort, and say so (a reload may not let it). */
  dispose() {
    const making = this.#run !== null;
    this.stop();
    this.#window.removeEventListener("pagehide", this.onPageHide);
    if (making) this.#send({ kind: "gone", view: this.view });
  }

  /**
   * Make attempt `request.attempt`.
   * @param {Request} request
   */
  async #start(request) {
    this.stop(); // an earlier attempt the kernel gave up on
    const window = this.#window;
    /** @type {Run} */
    const run = {
      attempt: request.attempt,
      controller: new AbortController(),
      bytes: 0,
      opened: false,
      queue: [],
      sent: 0,
      flush: null,
      alive: window.setInterval(() => {
        if (Date.now() - run.sent >= ALIVE_MS) this.#say(run, { kind: "alive" });
      }, ALIVE_MS),
    };
    this.#run = run;
    try {
      await this.#fetchEventSource(request.url, {
        method: request.method,
        headers: Object.fromEntries(request.headers),
        body: requestBody(request),
        signal: run.controller.signal,
        cache: "no-store",
        credentials: "omit", // the kernel's headers are the credentials, not the page's cookies
        openWhenHidden: true,
        fetch: countingFetch(window, run),
        onopen: async (response) => {
          run.opened = true;
          const reply = {
            kind: "response",
            status: response.status,
            headers: [...response.headers],
            url: response.url || request.url,
          };
          if (isStream(response)) {
            this.#say(run, reply);
            return;
          }
          this.#say(run, { ...reply, body: await excerpt(response) });
          throw new NotAStream();
        },
        onmessage: (message) => {
          // Every blank line is a message here, even after a comment: only what moves the
          // stream's state goes to the kernel.
          if (message.data === "" && message.id === "" && message.retry === undefined) return;
          run.queue.push([message.event, message.data, message.id, message.retry ?? null, Date.now()]);
          this.#schedule(run);
        },
        onclose: () => {
          this.#flush(run);
          this.#say(run, { kind: "end" });
        },
        onerror: (error) => {
          throw error; // the kernel decides whether to try again
        },
      });
    } catch (error) {
      if (error instanceof NotAStream || run.controller.signal.aborted) return;
      this.#flush(run);
      const message = error instanceof Error ? error.message : String(error);
      if (run.opened) {
        this.#say(run, { kind: "fail", error: "lost", message });
      } else {
        const cors = await blockedByCors(window, request.url);
        this.#say(run, {
          kind: "fail",
          error: cors ? "cors" : "network",
          message,
          origin: window.location.origin,
        });
      }
    } finally {
      if (this.#run === run) {
        this.#run = null;
        window.clearInterval(run.alive);
      }
    }
  }

  /**
   * Send the queued events now if the last message went long enough ago, else soon.
   * @param {Run} run
   */
  #schedule(run) {
    if (run.flush !== null) return;
    const wait = FLUSH_MS - (Date.now() - run.sent);
    if (wait <= 0) {
      this.#flush(run);
      return;
    }
    run.flush = this.#window.setTimeout(() => {
      run.flush = null;
      this.#flush(run);
    }, wait);
  }

  /** @param {Run} run */
  #flush(run) {
    if (run.flush !== null) {
      this.#window.clearTimeout(run.flush);
      run.flush = null;
    }
    if (run.queue.length === 0) return;
    const events = run.queue;
    run.queue = [];
    this.#say(run, { kind: "events", events });
  }

  /**
   * @param {Run} run
   * @param {Message} message
   */
  #say(run, message) {
    if (run.controller.signal.aborted) return; // the kernel no longer listens to it
    run.sent = Date.now();
    this.#send({
      ...message,
      view: this.view,
      attempt: run.attempt,
      bytes: run.bytes,
      hidden: this.#window.document.hidden,
    });
  }
}

/**
 * The request's body: text as is, bytes from base64.
 * @param {Request} request
 */
function requestBody(request) {
  if (request.body === null) return undefined;
  if (!request.base64) return request.body;
  return Uint8Array.from(atob(request.body), (c) => c.charCodeAt(0));
}

/**
 * Whether a response is an event stream (status 200, Content-Type's essence).
 * @param {Response} response
 */
export function isStream(response) {
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  return response.status === 200 && type === "text/event-stream";
}

/**
 * A rejected response's first `BODY_BYTES`, as text.
 * @param {Response} response
 */
async function excerpt(response) {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks = [];
  let size = 0;
  try {
    while (size < BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // what came is what there is
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, BODY_BYTES));
}

/**
 * `fetch` that counts the body's bytes into `run.bytes` as they arrive.
 * @param {Window & typeof globalThis} window
 * @param {Run} run
 * @returns {typeof fetch}
 */
function countingFetch(window, run) {
  return async (input, init) => {
    const response = await window.fetch(input, init);
    if (response.body === null || response.status === 204) return response;
    const counted = response.body.pipeThrough(
      new window.TransformStream({
        transform(chunk, controller) {
          run.bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const copy = new window.Response(counted, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(copy, "url", { value: response.url });
    return copy;
  };
}

/**
 * Whether a request the browser refused was blocked by CORS: the server answers a
 * `no-cors` GET (whose response the page cannot read), so it is there.
 * @param {Window & typeof globalThis} window
 * @param {string} url
 */
export async function blockedByCors(window, url) {
  try {
    await window.fetch(url, { method: "GET", mode: "no-cors", cache: "no-store", credentials: "omit" });
    return true;
  } catch {
    return false;
  }
}
