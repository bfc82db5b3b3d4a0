// @ts-check
/**
 * StreamWidget's front end: the module anywidget loads (bundled into one file by esbuild).
 *
 * Each view keeps its own `StreamStore`, fed by the kernel's numbered deltas; a view that
 * appears on a stream that already ran asks for a snapshot first. The kernel owns the
 * request: the buttons send `stop` and `restart`, nothing else goes back.
 *
 * The body reads in the order a model streams: its reasoning (a "Thinking" section, only
 * when there is some), the answer, then its tool calls (cards). The header says why the
 * model stopped when that was not a normal stop (cut at the token limit, filtered...).
 */

import {
  ACTIVE,
  droppedNotice,
  errorMessage,
  errorTitle,
  finishBadge,
  formatBody,
  statsEntries,
  statusLabel,
} from "./format.js";
import { Follower } from "./follow.js";
import { createRenderer } from "./markdown.js";
import { StreamStore, isTextChange } from "./store.js";
import { ThinkingSection } from "./thinking.js";
import { ToolCards } from "./tools.js";
import { PageRequest } from "./transport.js";
import { EventsView, Feed, MarkdownView, SharedFrame, TextView } from "./views.js";

/**
 * The synced traitlets (see sse_widget/_widget.py).
 * @typedef {object} Model
 * @property {string} status
 * @property {"markdown" | "text" | "events"} render
 * @property {string} method
 * @property {string} display_url
 * @property {import("./format.js").ReconnectInfo} reconnect_info
 * @property {import("./format.js").ErrorInfo} error_info
 * @property {number} generation
 * @property {boolean} allow_remote_images
 * @property {number} max_event_rows
 * @property {"kernel" | "browser"} transport who makes the request
 * @property {string} _view_key the widget's own random id, to find its views
 *
 * @typedef {import("@anywidget/types").AnyModel<Model>} AnyModel
 */

/** How long the Copy button says "Copied". */
const COPIED_MS = 1500;

/** @type {WeakMap<Window, ReturnType<typeof createRenderer>>} */
const renderers = new WeakMap();

/** @param {Window & typeof globalThis} window */
function rendererFor(window) {
  let renderer = renderers.get(window);
  if (!renderer) {
    renderer = createRenderer(window);
    renderers.set(window, renderer);
  }
  return renderer;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {Document} document
 * @param {K} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(document, tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * @param {Document} document
 * @param {AnyModel} model
 * @returns {import("./views.js").View}
 */
function createView(document, model) {
  const kind = model.get("render");
  if (kind === "text") return new TextView(document);
  if (kind === "events") return new EventsView(document, model.get("max_event_rows"));
  const window = /** @type {Window & typeof globalThis} */ (document.defaultView);
  return new MarkdownView(document, rendererFor(window), () => ({
    allowRemoteImages: model.get("allow_remote_images"),
  }));
}

/**
 * Put text on the clipboard; falls back to a hidden text area where the Clipboard API is
 * unavailable (pages not served over https or localhost).
 * @param {Window} window
 * @param {string} text
 * @returns {Promise<boolean>} whether it was copied
 */
async function copyText(window, text) {
  try {
    await window.navigator.clipboard.writeText(text);
    return true;
  } catch {
    const { document } = window;
    const area = h(document, "textarea", "sse-widget-offscreen");
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

/**
 * Make `button` copy what `text` gives at the click, and say for a moment whether it did.
 * @param {Window} window
 * @param {HTMLButtonElement} button
 * @param {() => string} text
 */
function copyOnClick(window, button, text) {
  button.addEventListener("click", async () => {
    const copied = await copyText(window, text());
    button.textContent = copied ? "Copied" : "Copy failed";
    window.setTimeout(() => {
      button.textContent = "Copy";
    }, COPIED_MS);
  });
}

/**
 * A view that is drawn, with how many displays show it.
 * @typedef {{ root: HTMLElement, owners: number, followers: Follower[], dispose: () => void }} Drawn
 *   `followers`: the body's, and the thinking box's
 */

/**
 * Views by widget (`_view_key`). When a stream ends, the kernel updates the widget's
 * display so the saved notebook holds the answer; JupyterLab answers that by making a
 * new view and dropping the old one's element from the page without disposing it. The
 * new view takes that element over, already drawn, instead of asking for a snapshot and
 * drawing the whole answer again.
 * @type {Map<string, Set<Drawn>>}
 */
const drawn = new Map();

/**
 * @param {string} key
 * @param {HTMLElement} el
 */
function rehome(key, el) {
  for (const view of drawn.get(key) ?? []) {
    if (view.root.isConnected) continue;
    for (const follower of view.followers) follower.hold();
    el.append(view.root);
    view.owners += 1;
    // Out of the page, the body lost its scroll offset; `el` joins the page later.
    whenConnected(view.root, () => {
      for (const follower of view.followers) follower.restore();
      // A count that stays: what took place can be checked after the fact.
      view.root.dataset.takenOver = String(Number(view.root.dataset.takenOver ?? 0) + 1);
    });
    return view;
  }
  return null;
}

/** Animation frames to wait for a taken-over view's element to join the page. */
const CONNECT_FRAMES = 120;

/**
 * Run `callback` in the first animation frame in which `node` is in the page, or after
 * `CONNECT_FRAMES` frames if it is not by then.
 * @param {Node} node
 * @param {() => void} callback
 */
function whenConnected(node, callback) {
  const window = node.ownerDocument?.defaultView;
  if (!window) {
    callback(); // no frames to wait for
    return;
  }
  let left = CONNECT_FRAMES;
  const check = () => {
    if (node.isConnected || --left <= 0) callback();
    else window.requestAnimationFrame(check);
  };
  window.requestAnimationFrame(check);
}

/** @param {{ model: AnyModel, el: HTMLElement }} props */
function render({ model, el }) {
  const key = model.get("_view_key");
  const adopted = key ? rehome(key, el) : null;
  if (adopted) return () => release(key, adopted);
  const view = draw({ model, el });
  if (key) {
    if (!drawn.has(key)) drawn.set(key, new Set());
    drawn.get(key)?.add(view);
  }
  return () => release(key, view);
}

/**
 * @param {string} key
 * @param {Drawn} view
 */
function release(key, view) {
  view.owners -= 1;
  if (view.owners > 0) return;
  view.dispose();
  drawn.get(key)?.delete(view);
  if (drawn.get(key)?.size === 0) drawn.delete(key);
}

/**
 * Build one view: header, error panel, body; wire it to the model.
 * @param {{ model: AnyModel, el: HTMLElement }} props
 * @returns {Drawn}
 */
function draw({ model, el }) {
  const document = el.ownerDocument;
  const window = /** @type {Window & typeof globalThis} */ (document.defaultView);

  const root = h(document, "div", "sse-widget");
  const header = h(document, "div", "sse-widget-header");
  const pill = h(document, "span", "sse-widget-status");
  pill.setAttribute("role", "status");
  // Why the model stopped, when that was not a normal stop (see `finishBadge`).
  const finish = h(document, "span", "sse-widget-finish");
  finish.hidden = true;
  const request = h(document, "span", "sse-widget-request");
  const method = h(document, "span", "sse-widget-method", model.get("method"));
  const url = h(document, "span", "sse-widget-url", model.get("display_url"));
  request.append(method, " ", url);
  request.title = `${model.get("method")} ${model.get("display_url")}`;
  const stats = h(document, "span", "sse-widget-stats");
  const controls = h(document, "span", "sse-widget-controls");
  const stop = h(document, "button", "sse-widget-button sse-widget-stop", "Stop");
  const restart = h(document, "button", "sse-widget-button sse-widget-restart", "Restart");
  const copy = h(document, "button", "sse-widget-button sse-widget-copy", "Copy");
  for (const button of [stop, restart, copy]) button.type = "button";
  stop.title = "Stop the stream (closes the connection)";
  restart.title = "Send the request again";
  copy.title = model.get("render") === "markdown" ? "Copy the markdown source" : "Copy the text";
  controls.append(stop, restart, copy);
  header.append(pill, finish, request, stats, controls);

  const error = h(document, "div", "sse-widget-error");
  error.hidden = true;
  error.setAttribute("role", "alert");

  const body = h(document, "div", "sse-widget-body");
  body.setAttribute("aria-live", "polite");
  body.tabIndex = 0;
  // Outside the view's element, so the view shows exactly the kept text; marked so that
  // whatever reads the body's text can leave it out.
  const notice = h(document, "div", "sse-widget-dropped");
  notice.setAttribute("role", "note");
  notice.dataset.sseWidgetNotice = "";
  notice.hidden = true;
  const view = createView(document, model);
  body.append(notice, view.el);

  const jump = h(document, "button", "sse-widget-button sse-widget-jump", "↓ Latest");
  jump.type = "button";
  jump.hidden = true;
  root.append(header, error, body, jump);
  el.append(root);

  const live = () => ACTIVE.includes(model.get("status"));
  const follower = new Follower(body, (following) => {
    jump.hidden = following;
  });
  let disposed = false;
  /** Units of the text not kept, as the notice shows it. */
  let shownDropped = 0;
  // The answer, the reasoning and every tool call share each frame's budget.
  const frame = new SharedFrame((callback) => window.requestAnimationFrame(() => disposed || callback()));
  const feed = new Feed(view, {
    schedule: (callback) => frame.request(callback),
    spent: () => frame.spent(),
    // While the model thinks, the caret is in the thinking section, not on an empty answer.
    live: () => live() && (store.answered || !store.reasoned),
    source: () => store.text,
    afterFrame: () => {
      showDropped();
      follower.update(); // after the notice, which may have moved the content
    },
  });
  const thinking = new ThinkingSection(document, {
    parent: body,
    before: notice,
    frame,
    live,
    source: () => store.reasoning,
    afterFrame: () => follower.update(),
  });
  const tools = new ToolCards(document, body, {
    frame,
    live,
    afterFrame: () => follower.update(),
    copy: (button, text) => copyOnClick(window, button, text),
  });
  const store = new StreamStore({
    maxRows: model.get("max_event_rows"),
    requestSync: (gen, seq) => model.send({ kind: "sync", gen, seq }),
    onChange: (change) => {
      if (isTextChange(change)) feed.change(change);
      else if (change.type === "finish") showFinish(change.reason);
      else if (change.type === "tools" || change.type === "tool") tools.change(change);
      else {
        thinking.change(change);
        feed.request(); // the answer's caret, for while the model thinks
      }
      thinking.answer(store.answered);
    },
    onStats: showStats,
  });

  // In the frame that removes the text, not before: the count and the text agree.
  function showDropped() {
    const dropped = store.dropped;
    if (dropped === shownDropped) return;
    shownDropped = dropped;
    notice.hidden = dropped === 0;
    notice.textContent = droppedNotice(dropped);
  }

  function showStatus() {
    const status = model.get("status");
    root.dataset.status = status;
    pill.textContent = statusLabel(status, model.get("reconnect_info"));
    body.setAttribute("aria-busy", String(live()));
    stop.disabled = !live();
    restart.textContent = status === "idle" ? "Start" : "Restart";
    feed.request(); // the caret goes when the stream ends
    thinking.update(); // "Thinking" becomes "Thought for"
    tools.update();
  }

  /** @param {string | null} reason */
  function showFinish(reason) {
    const badge = finishBadge(reason);
    finish.hidden = badge === null;
    finish.className = badge ? `sse-widget-finish sse-widget-finish-${badge.kind}` : "sse-widget-finish";
    finish.textContent = badge?.text ?? "";
    finish.title = badge?.title ?? "";
    if (badge && reason) {
      finish.dataset.kind = badge.kind;
      finish.dataset.reason = reason;
    } else {
      delete finish.dataset.kind;
      delete finish.dataset.reason;
    }
  }

  /** @param {import("./format.js").Stats} figures */
  function showStats(figures) {
    thinking.tokens(figures.reasoning_tokens);
    stats.replaceChildren(
      ...statsEntries(figures).map(([name, value]) => {
        const entry = h(document, "span", "sse-widget-stat");
        entry.append(h(document, "span", "sse-widget-stat-value", value), ` ${name}`);
        return entry;
      }),
    );
  }

  function showError() {
    const info = model.get("error_info");
    error.hidden = !info.type;
    if (!info.type) {
      error.replaceChildren();
      return;
    }
    /** @type {HTMLElement[]} */
    const parts = [
      h(document, "div", "sse-widget-error-title", errorTitle(info)),
      h(document, "div", "sse-widget-error-message", errorMessage(info)),
    ];
    const shownBody = formatBody(info.body);
    if (shownBody) parts.push(h(document, "pre", "sse-widget-error-body", shownBody));
    error.replaceChildren(...parts);
  }

  // transport="browser": this view may be the one that makes the request.
  const page = model.get("transport") === "browser"
    ? new PageRequest({ send: (message) => model.send(message), window })
    : null;

  /** @type {[string, (...args: any[]) => void][]} */
  const listeners = [
    ["msg:custom", (message) => page?.receive(message) || store.receive(message)],
    ["change:generation", () => store.newGeneration(model.get("generation"))],
    ["change:status", showStatus],
    ["change:reconnect_info", showStatus],
    ["change:error_info", showError],
    [
      "change:allow_remote_images",
      () => feed.change({ type: "reset", text: store.text, rows: store.rows, dropped: store.dropped }),
    ],
  ];
  for (const [name, listener] of listeners) model.on(name, listener);

  stop.addEventListener("click", () => {
    page?.stop(); // at once: the server sees the close without a round trip to the kernel
    model.send({ kind: "stop" });
  });
  restart.addEventListener("click", () => model.send({ kind: "restart" }));
  copyOnClick(window, copy, () => store.text); // the answer: not the reasoning, not the calls
  jump.addEventListener("click", () => follower.resume());

  showStatus();
  showError();
  store.catchUp(model.get("generation"));
  page?.volunteer();

  return {
    root,
    owners: 1,
    followers: [follower, thinking.follower],
    dispose() {
      disposed = true;
      page?.dispose();
      follower.dispose();
      thinking.dispose();
      for (const [name, listener] of listeners) model.off(name, listener);
    },
  };
}

export default { render };
