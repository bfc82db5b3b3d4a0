// @ts-check
/**
 * The three bodies a widget can show (text, markdown, events) and the `Feed` that hands
 * them text once per animation frame, a bounded amount at a time.
 *
 * Browsers lay out a block again whenever its text grows, so a body that is one growing
 * block costs more with every token. Every view here keeps finished parts in blocks of
 * their own and grows only a small tail.
 */

import { BlockSplitter } from "./blocks.js";

/**
 * @typedef {import("./store.js").Row} Row
 * @typedef {import("./store.js").Change} Change
 * @typedef {import("./markdown.js").RenderOptions} RenderOptions
 * @typedef {(source: string, options?: RenderOptions) => DocumentFragment} RenderMarkdown
 *
 * @typedef {object} View
 * @property {HTMLElement} el
 * @property {() => void} reset            forget everything shown
 * @property {(text: string) => void} write  add text (any amount; the Feed bounds it)
 * @property {(rows: Row[]) => void} addRows add event rows
 * @property {(live: boolean) => void} commit finish the frame's DOM work; `live`: more may come
 */

/** Text view: characters in the tail block before finished lines move to a block of their own. */
export const SEAL_CHARS = 2048;
/** Text view: a tail without any line end is cut anyway past this many characters. */
export const LONG_LINE_CHARS = 65536;
/** Characters handed to a view per animation frame (a snapshot of a long answer is spread out). */
export const FRAME_CHARS = 65536;

/**
 * @param {Document} document
 * @param {string} className
 * @param {string} [tag]
 */
function element(document, className, tag = "div") {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

/** Plain text, wrapped, in blocks that end at line ends. */
export class TextView {
  #document;
  #tail;
  #tailText;
  #caret;

  /** @param {Document} document */
  constructor(document) {
    this.#document = document;
    this.el = element(document, "sse-widget-text");
    this.#tail = element(document, "sse-widget-tail");
    this.#tailText = document.createTextNode("");
    this.#caret = element(document, "sse-widget-caret", "span");
    this.#tail.append(this.#tailText, this.#caret);
    this.el.append(this.#tail);
  }

  reset() {
    this.#tailText.data = "";
    this.el.replaceChildren(this.#tail);
  }

  /** @param {string} text */
  write(text) {
    this.#tailText.appendData(text);
    if (this.#tailText.length > SEAL_CHARS) this.#seal();
  }

  /** @param {Row[]} _rows */
  addRows(_rows) {}

  /** @param {boolean} live */
  commit(live) {
    this.#caret.hidden = !live;
  }

  #seal() {
    const data = this.#tailText.data;
    // A block that ends with its line feed lays out exactly like the same text in one
    // block, so the cut is invisible.
    let cut = data.lastIndexOf("\n") + 1;
    if (cut === 0 && data.length > LONG_LINE_CHARS) cut = data.length;
    if (cut === 0) return;
    const block = element(this.#document, "sse-widget-block");
    block.textContent = data.slice(0, cut);
    this.el.insertBefore(block, this.#tail);
    this.#tailText.data = data.slice(cut);
  }
}

/** Markdown rendered block by block: settled blocks once, the tail once per frame. */
export class MarkdownView {
  #document;
  #render;
  #options;
  #tail;
  #caret;
  #splitter = new BlockSplitter();
  #dirty = true;
  #wasLive = false;

  /**
   * @param {Document} document
   * @param {RenderMarkdown} render
   * @param {() => RenderOptions} options read at each render (they may change)
   */
  constructor(document, render, options) {
    this.#document = document;
    this.#render = render;
    this.#options = options;
    this.el = element(document, "sse-widget-markdown");
    this.#tail = element(document, "sse-widget-tail");
    this.#caret = element(document, "sse-widget-caret", "span");
    this.el.append(this.#tail);
  }

  reset() {
    this.#splitter = new BlockSplitter();
    this.#tail.replaceChildren();
    this.el.replaceChildren(this.#tail);
    this.#dirty = true;
  }

  /** @param {string} text */
  write(text) {
    for (const block of this.#splitter.push(text)) {
      const el = element(this.#document, "sse-widget-block");
      if (block.continues) {
        el.classList.add("sse-widget-continues");
        this.#tail.previousElementSibling?.classList.add("sse-widget-continued");
      }
      el.append(this.#render(block.source, this.#options()));
      this.el.insertBefore(el, this.#tail);
    }
    this.#dirty = true;
  }

  /** @param {Row[]} _rows */
  addRows(_rows) {}

  /** @param {boolean} live */
  commit(live) {
    if (!this.#dirty && live === this.#wasLive) return;
    this.#dirty = false;
    this.#wasLive = live;
    this.#tail.replaceChildren(this.#render(this.#splitter.tail, this.#options()));
    const continues = this.#splitter.tailContinues;
    this.#tail.classList.toggle("sse-widget-continues", continues);
    if (continues) this.#tail.previousElementSibling?.classList.add("sse-widget-continued");
    if (live) innermostLast(this.#tail).append(this.#caret);
  }
}

/**
 * Where a caret goes so that it follows the last character: the deepest element that
 * ends the content (not one followed by text, as `str` in `(prompt: str)` is).
 * @param {Element} root
 */
export function innermostLast(root) {
  let node = root;
  for (;;) {
    let last = node.lastChild;
    // markdown-it puts a line feed between blocks; it is not content.
    while (last && last.nodeType === 3 && !(last.textContent ?? "").trim()) {
      last = last.previousSibling;
    }
    if (last === null || last.nodeType !== 1) return node;
    const element = /** @type {Element} */ (last);
    if (["BR", "HR", "IMG"].includes(element.tagName)) return node;
    node = element;
  }
}

/** A table of the most recent events: time, event type, id, data. */
export class EventsView {
  #document;
  #body;
  #maxRows;

  /**
   * @param {Document} document
   * @param {number} maxRows
   */
  constructor(document, maxRows) {
    this.#document = document;
    this.#maxRows = maxRows;
    this.el = element(document, "sse-widget-events");
    const table = document.createElement("table");
    table.className = "sse-widget-events-table";
    const head = table.createTHead().insertRow();
    for (const name of ["ms", "event", "id", "data"]) {
      const th = document.createElement("th");
      th.textContent = name;
      th.scope = "col";
      head.append(th);
    }
    this.#body = table.createTBody();
    this.el.append(table);
  }

  reset() {
    this.#body.replaceChildren();
  }

  /** @param {string} _text */
  write(_text) {}

  /** @param {Row[]} rows */
  addRows(rows) {
    const fragment = this.#document.createDocumentFragment();
    for (const row of rows.slice(-this.#maxRows)) {
      const tr = this.#document.createElement("tr");
      for (const value of [String(row.t), row.event, row.id ?? "", row.data]) {
        tr.insertCell().textContent = value;
      }
      fragment.append(tr);
    }
    this.#body.append(fragment);
    const extra = this.#body.rows.length - this.#maxRows;
    for (let i = 0; i < extra; i += 1) this.#body.rows[0].remove();
  }

  /** @param {boolean} _live */
  commit(_live) {}
}

/**
 * Hands a view the store's changes once per frame, at most `FRAME_CHARS` of text a
 * frame, so catching up on a long answer never blocks the page in one long task.
 */
export class Feed {
  #view;
  #schedule;
  #afterFrame;
  #live;
  /** @type {string[]} */
  #pending = [];
  /** @type {Row[]} */
  #rows = [];
  #reset = false;
  #scheduled = false;

  /**
   * @param {View} view
   * @param {(callback: () => void) => void} schedule e.g. requestAnimationFrame
   * @param {() => boolean} live whether more text may come (the caret shows)
   * @param {() => void} [afterFrame] runs after each frame's DOM work (auto-scroll)
   */
  constructor(view, schedule, live, afterFrame = () => {}) {
    this.#view = view;
    this.#schedule = schedule;
    this.#live = live;
    this.#afterFrame = afterFrame;
  }

  /** Whether text is waiting for a frame. */
  get busy() {
    return this.#scheduled || this.#pending.length > 0;
  }

  /** @param {Change} change */
  change(change) {
    if (change.type === "reset") {
      this.#reset = true;
      this.#pending = [];
      this.#rows = [];
    }
    if (change.text) this.#pending.push(change.text);
    if (change.rows.length) this.#rows.push(...change.rows);
    this.request();
  }

  /** Ask for a frame (e.g. to redraw after the status changed). */
  request() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.#frame());
  }

  #frame() {
    this.#scheduled = false;
    const view = this.#view;
    if (this.#reset) {
      view.reset();
      this.#reset = false;
    }
    let budget = FRAME_CHARS;
    while (this.#pending.length > 0 && budget > 0) {
      let piece = this.#pending[0];
      if (piece.length > budget) {
        const cut = splitPoint(piece, budget);
        this.#pending[0] = piece.slice(cut);
        piece = piece.slice(0, cut);
      } else {
        this.#pending.shift();
      }
      view.write(piece);
      budget -= piece.length;
    }
    if (this.#rows.length) {
      view.addRows(this.#rows);
      this.#rows = [];
    }
    view.commit(this.#live() || this.#pending.length > 0);
    this.#afterFrame();
    if (this.#pending.length > 0) this.request();
  }
}

/**
 * Where to cut `text` near `at` without splitting a surrogate pair.
 * @param {string} text
 * @param {number} at
 */
export function splitPoint(text, at) {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
