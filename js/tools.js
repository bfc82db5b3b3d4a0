// @ts-check
/**
 * A model's tool calls, one card each, below the answer: the tool's name (and the call's
 * id, muted), then its arguments as they stream in, as plain text; once the call is
 * complete, the arguments as formatted JSON, or as they came with a marker when they do
 * not parse (a call cut short, or a model's mistake).
 *
 * Below the answer because that is where they come: models write their text, then call
 * tools, and the body follows its end, so the card being filled is the one in view.
 *
 * Names, ids and arguments are untrusted: text nodes only, never HTML. Arguments may be
 * long (a whole file for a tool that writes one): each card's are a `TextView` fed by a
 * `Feed` in the widget's shared frames, like the answer, formatted JSON included.
 */

import { formatArguments } from "./format.js";
import { element } from "./sections.js";
import { Feed, TextView } from "./views.js";

/**
 * @typedef {import("./store.js").ToolCall} ToolCall
 * @typedef {import("./store.js").ToolsChange | import("./store.js").ToolChange} ToolChanges
 *
 * @typedef {object} CardHooks
 * @property {import("./views.js").SharedFrame} frame the widget's frames
 * @property {() => boolean} live whether the stream may still send
 * @property {() => void} [afterFrame] runs after each frame's DOM work
 * @property {() => number} [clock] milliseconds, e.g. `performance.now`
 * @property {(button: HTMLButtonElement, text: () => string) => void} [copy] make a
 *   button copy the text it is given
 */

/** The cards, in order of appearance; out of the page while there are none. */
export class ToolCards {
  #document;
  #parent;
  #hooks;
  /** @type {ToolCard[]} */
  #cards = [];

  /**
   * @param {Document} document
   * @param {HTMLElement} parent where the cards go (at its end) when there are some
   * @param {CardHooks} hooks
   */
  constructor(document, parent, hooks) {
    this.#document = document;
    this.#parent = parent;
    this.#hooks = hooks;
    this.el = element(document, "sse-widget-tools");
    this.el.setAttribute("role", "list");
    this.el.setAttribute("aria-label", "Tool calls");
  }

  /** The cards shown, in order (for tests). */
  get cards() {
    return this.#cards.slice();
  }

  /** @param {ToolChanges} change */
  change(change) {
    if (change.type === "tools") {
      this.#cards = [];
      this.el.replaceChildren();
      for (const call of change.calls) this.#card(call.i).update(call, call.args);
    } else {
      this.#card(change.call.i).update(change.call, change.args);
    }
    if (this.#cards.length === 0) this.el.remove();
    else if (this.el.parentNode !== this.#parent) this.#parent.append(this.el);
  }

  /** The stream's status changed: the carets of calls left unfinished go. */
  update() {
    for (const card of this.#cards) card.request();
  }

  /** @param {number} i */
  #card(i) {
    let card = this.#cards[i];
    if (card === undefined) {
      card = new ToolCard(this.#document, i, this.#hooks);
      this.#cards[i] = card;
      this.el.append(card.el);
    }
    return card;
  }
}

/** One tool call: a header (name, id, marker, Copy), then its arguments. */
export class ToolCard {
  #name;
  #id;
  #marker;
  #feed;
  #live;
  #done = false;
  /** The arguments as shown: the raw text, then the formatted JSON once done and valid. */
  #shown = "";

  /**
   * @param {Document} document
   * @param {number} i the call's index
   * @param {CardHooks} hooks
   */
  constructor(document, i, { frame, live, afterFrame, clock, copy }) {
    this.#live = live;
    this.el = element(document, "sse-widget-tool");
    this.el.setAttribute("role", "listitem");
    this.el.dataset.index = String(i);
    this.el.dataset.state = "streaming";
    const header = element(document, "sse-widget-tool-header");
    this.#name = element(document, "sse-widget-tool-name", "span");
    this.#id = element(document, "sse-widget-tool-id", "span");
    this.#id.hidden = true;
    this.#marker = element(document, "sse-widget-tool-marker", "span");
    this.#marker.textContent = "not valid JSON";
    this.#marker.hidden = true;
    header.append(this.#name, this.#id, this.#marker);
    if (copy) {
      const button = /** @type {HTMLButtonElement} */ (element(document, "sse-widget-button sse-widget-tool-copy", "button"));
      button.type = "button";
      button.textContent = "Copy";
      button.title = "Copy the arguments";
      copy(button, () => this.#shown);
      header.append(button);
    }
    /** The arguments' text (a test may time its writes). */
    this.view = new TextView(document, "sse-widget-tool-args");
    this.el.append(header, this.view.el);
    this.#feed = new Feed(this.view, {
      schedule: (callback) => frame.request(callback),
      spent: () => frame.spent(),
      live: () => !this.#done && this.#live(),
      source: () => this.#shown,
      afterFrame,
      clock,
    });
  }

  /**
   * @param {ToolCall} call the call as it is now
   * @param {string} args the argument text this update appended
   */
  update(call, args) {
    this.#name.textContent = call.name ?? "tool call";
    this.#id.textContent = call.id ?? "";
    this.#id.hidden = !call.id;
    if (this.#done) return; // a call is complete once
    if (args) {
      this.#shown = call.args;
      this.#feed.change({ type: "append", text: args, rows: [] });
    }
    if (call.done) this.#finish(call.args);
  }

  /** Ask for a frame (the caret follows the stream's status). */
  request() {
    this.#feed.request();
  }

  /** @param {string} args the whole arguments */
  #finish(args) {
    this.#done = true;
    const { text, valid, error } = formatArguments(args);
    this.el.dataset.state = valid ? "done" : "invalid";
    this.#shown = text;
    if (valid) {
      // Drawn again as formatted, over frames like any text.
      this.#feed.change({ type: "reset", text, rows: [], dropped: 0 });
    } else {
      this.#marker.hidden = false;
      this.#marker.title = `The arguments are not valid JSON (${error}); shown as they came`;
      this.#feed.request();
    }
  }
}
