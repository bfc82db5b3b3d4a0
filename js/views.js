// @ts-check
/**
 * The bodies a widget can show (markdown and events here, text in text.js) and the `Feed`
 * that hands them text once per animation frame, a bounded amount at a time.
 *
 * Browsers lay out a block again whenever its text grows, so a body that is one growing
 * block costs more with every token. Every view here keeps finished parts in blocks of
 * their own and grows only a small tail.
 */

import { BlockSplitter } from "./blocks.js";
import { Sections, element } from "./sections.js";
import { splitPoint } from "./text.js";

export { SECTION_CHARS } from "./sections.js";
export { LONG_LINE_CHARS, SEAL_CHARS, TextView, splitPoint } from "./text.js";

/**
 * @typedef {import("./store.js").Row} Row
 * @typedef {import("./store.js").TextChange} TextChange
 * @typedef {import("./markdown.js").RenderOptions} RenderOptions
 * @typedef {Pick<import("./markdown.js").Renderer, "render" | "renderBlocks">} Renderer
 *
 * @typedef {object} View
 * @property {HTMLElement} el
 * @property {() => void} reset            forget everything shown
 * @property {(text: string) => void} write  add text (any amount; the Feed bounds it)
 * @property {(units: number) => boolean} drop remove the first `units` UTF-16 units
 *   written (bounded text); false: the view cannot, reset it with the kept text instead
 * @property {(rows: Row[]) => void} addRows add event rows
 * @property {(live: boolean) => void} commit finish the frame's DOM work; `live`: more may come
 */

/** The most text handed to a view in one write: the unit of a frame's work. */
export const SLICE_CHARS = 1024;
/**
 * Milliseconds of work per animation frame. A frame writes slices until its share of
 * this is gone, then leaves the rest to the next frame, so neither a burst of deltas nor
 * a snapshot of a long answer makes a long task, however fast the machine renders. The
 * share is what the last frame left over after the layout its writes caused (auto-scroll
 * forces it at the frame's end): a frame whose layout took long writes less in the next.
 */
export const FRAME_BUDGET_MS = 8;

/** Markdown rendered block by block: settled blocks once, the tail once per frame. */
export class MarkdownView {
  #renderer;
  #options;
  #tail;
  #caret;
  #sections;
  #splitter = new BlockSplitter();
  #dirty = true;
  #wasLive = false;
  /**
   * Units of text removed beyond what `drop` was asked for (a block cut by the drop goes
   * whole): the next drops take them first.
   */
  #overdrawn = 0;

  /**
   * @param {Document} document
   * @param {Renderer} renderer
   * @param {() => RenderOptions} options read at each render (they may change)
   */
  constructor(document, renderer, options) {
    this.#renderer = renderer;
    this.#options = options;
    this.el = element(document, "sse-widget-markdown");
    this.#tail = element(document, "sse-widget-tail");
    this.#caret = element(document, "sse-widget-caret", "span");
    this.el.append(this.#tail);
    this.#sections = new Sections(document, this.el, this.#tail);
  }

  reset() {
    this.#splitter = new BlockSplitter();
    this.#tail.replaceChildren();
    this.#sections.clear();
    this.#dirty = true;
    this.#overdrawn = 0;
  }

  /** @param {string} text */
  write(text) {
    const splitter = this.#splitter;
    const blocks = splitter.push(text);
    const rendered = this.#renderer.renderBlocks(
      blocks.map((block) => block.source),
      this.#options(),
    );
    blocks.forEach((block, index) => {
      const el = rendered[index];
      el.className = "sse-widget-block";
      const before = this.#sections.last; // none when the pieces before were dropped
      if (block.continues && before !== null) {
        el.classList.add("sse-widget-continues");
        before.classList.add("sse-widget-continued");
      }
      const next = blocks[index + 1];
      const continuedBy = next ? (next.continues ? next.source : null)
        : (splitter.tailContinues ? splitter.tail : null);
      this.#sections.add(el, streamChars(block.source, block.continues, continuedBy));
    });
    this.#dirty = true;
  }

  /**
   * Whole blocks only: half a markdown block renders as something else (a list item as a
   * paragraph, code as prose), so the block the cut falls in goes too. The live tail is
   * not cut (the splitter holds it); a cut that reaches it returns false.
   * @param {number} units
   */
  drop(units) {
    if (units <= this.#overdrawn) {
      this.#overdrawn -= units;
      return true;
    }
    const left = this.#sections.dropWhole(units - this.#overdrawn);
    this.#overdrawn = 0;
    if (left > 0) {
      const first = this.#sections.first;
      if (first === null) return false;
      this.#overdrawn = first.chars - left;
      this.#sections.shift();
    }
    // The piece of a long code block that now comes first has no piece above it to join.
    this.#sections.first?.el.classList.remove("sse-widget-continues");
    if (this.#sections.first === null) this.#tail.classList.remove("sse-widget-continues");
    return true;
  }

  /** @param {Row[]} _rows */
  addRows(_rows) {}

  /** @param {boolean} live */
  commit(live) {
    if (!this.#dirty && live === this.#wasLive) return;
    this.#dirty = false;
    this.#wasLive = live;
    this.#tail.replaceChildren(this.#renderer.render(this.#splitter.tail, this.#options()));
    const continues = this.#splitter.tailContinues && this.#sections.last !== null;
    this.#tail.classList.toggle("sse-widget-continues", continues);
    if (continues) this.#sections.last?.classList.add("sse-widget-continued");
    if (live) innermostLast(this.#tail).append(this.#caret);
  }
}

const FENCE_MARKER = /^(?:`{3,}|~{3,})/;

/**
 * The stream characters a settled markdown block holds: its source without what
 * `BlockSplitter` adds so that a piece of a long code block renders on its own (the
 * fence's opening line before a piece that continues one, its closing marker after a
 * piece that another continues).
 * @param {string} source
 * @param {boolean} continues whether the block continues the one before it
 * @param {string | null} continuedBy the source of what continues it (block or tail), if any
 */
export function streamChars(source, continues, continuedBy) {
  let chars = source.length;
  if (continues) chars -= source.indexOf("\n") + 1;
  if (continuedBy !== null) chars -= (FENCE_MARKER.exec(continuedBy)?.[0].length ?? 0) + 1;
  return chars;
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

  /**
   * Rows are bounded on their own (`max_event_rows`); dropped text is not shown here.
   * @param {number} _units
   */
  drop(_units) {
    return true;
  }

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
 * One animation frame for the feeds of a widget (the answer, the reasoning, each tool
 * call): they run in it in the order they asked, and each writes only in what those
 * before it left of `FRAME_BUDGET_MS` (see `Feed`'s `spent`), so a view catching up on
 * all of them at once still does about one budget of work a frame, not one per feed.
 */
export class SharedFrame {
  #schedule;
  #clock;
  /** @type {(() => void)[]} */
  #queue = [];
  /** When the running frame started; null between frames. @type {number | null} */
  #started = null;

  /**
   * @param {(callback: () => void) => void} schedule e.g. requestAnimationFrame
   * @param {() => number} [clock] milliseconds, e.g. `performance.now`
   */
  constructor(schedule, clock = () => performance.now()) {
    this.#schedule = schedule;
    this.#clock = clock;
  }

  /**
   * Run `callback` in the next frame, after those asked for before it.
   * @param {() => void} callback
   */
  request(callback) {
    this.#queue.push(callback);
    if (this.#queue.length === 1) this.#schedule(() => this.#run());
  }

  /** Milliseconds the running frame has taken so far (0 between frames). */
  spent() {
    return this.#started === null ? 0 : this.#clock() - this.#started;
  }

  #run() {
    // What the callbacks ask for now goes to the next frame.
    const queue = this.#queue;
    this.#queue = [];
    this.#started = this.#clock();
    try {
      for (const callback of queue) callback();
    } finally {
      this.#started = null;
    }
  }
}

/**
 * Hands a view the store's changes once per animation frame, in slices of at most
 * `SLICE_CHARS` and for at most about `FRAME_BUDGET_MS` a frame, so catching up on a long
 * answer never blocks the page in one long task.
 */
export class Feed {
  #view;
  #schedule;
  #afterFrame;
  #live;
  #clock;
  #spent;
  #source;
  /** Text not yet handed to the view; it follows the text the view has. @type {string[]} */
  #pending = [];
  /** @type {Row[]} */
  #rows = [];
  #reset = false;
  #scheduled = false;
  /** Units handed to the view since its last reset, less those dropped since. */
  #written = 0;
  /** Units the view is to drop from its front, at the start of the next frame. */
  #drop = 0;
  /** Milliseconds of writing the next frame may spend (see `FRAME_BUDGET_MS`). */
  #writeBudget = FRAME_BUDGET_MS;

  /**
   * @param {View} view
   * @param {object} hooks
   * @param {(callback: () => void) => void} hooks.schedule e.g. requestAnimationFrame
   * @param {() => boolean} hooks.live whether more text may come (the caret shows)
   * @param {() => string} hooks.source all the text kept (the store's), to draw the view
   *   again from when it cannot drop what was asked
   * @param {() => void} [hooks.afterFrame] runs after each frame's DOM work (auto-scroll)
   * @param {() => number} [hooks.clock] milliseconds, e.g. `performance.now`
   * @param {() => number} [hooks.spent] milliseconds of this frame other feeds took before
   *   this one's turn (a `SharedFrame`'s): they come out of this feed's writing time
   */
  constructor(view, {
    schedule, live, source, afterFrame = () => {}, clock = () => performance.now(), spent = () => 0,
  }) {
    this.#view = view;
    this.#schedule = schedule;
    this.#live = live;
    this.#source = source;
    this.#afterFrame = afterFrame;
    this.#clock = clock;
    this.#spent = spent;
  }

  /** Whether text is waiting for a frame. */
  get busy() {
    return this.#scheduled || this.#pending.length > 0;
  }

  /** @param {TextChange} change */
  change(change) {
    if (change.type === "trim") {
      this.#trim(change.units);
    } else {
      if (change.type === "reset") {
        this.#reset = true;
        this.#pending = [];
        this.#rows = [];
        this.#written = 0;
        this.#drop = 0;
      }
      if (change.text) this.#pending.push(change.text);
      if (change.rows.length) this.#rows.push(...change.rows);
    }
    this.request();
  }

  /**
   * The first `units` of all the text given go: first from what the view has (it comes
   * before what is pending), then from what is pending.
   * @param {number} units
   */
  #trim(units) {
    // The view's part waits for the frame rather than being removed now: all DOM work
    // stays in frames, a burst of trims costs one removal, and it is in order: the view
    // holds `#written` units between frames, and the frame removes them before writing
    // any pending text.
    const fromView = Math.min(units, this.#written);
    this.#written -= fromView;
    this.#drop += fromView;
    let left = units - fromView;
    while (left > 0 && this.#pending.length > 0) {
      const first = this.#pending[0];
      if (first.length > left) {
        this.#pending[0] = first.slice(left);
        break;
      }
      left -= first.length;
      this.#pending.shift();
    }
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
    if (this.#drop > 0 && !view.drop(this.#drop)) {
      // Rare: the cut reaches text the view has not settled yet (markdown's live tail).
      // The kept text is drawn again, spread over frames like any text; it starts where
      // the kernel cut, which need not be a block boundary (as after any snapshot).
      view.reset();
      const kept = this.#source();
      this.#pending = kept ? [kept] : [];
      this.#written = 0;
    }
    this.#drop = 0;
    const started = this.#clock();
    const budget = this.#writeBudget - this.#spent();
    // At least one slice a frame, so a slow machine (or a feed whose turn comes late in
    // a busy frame) still makes progress.
    let wrote = false;
    do {
      const piece = this.#nextSlice();
      if (piece === null) break;
      view.write(piece);
      this.#written += piece.length;
      wrote = true;
    } while (this.#clock() - started < budget);
    const writing = this.#clock() - started;
    if (this.#rows.length) {
      view.addRows(this.#rows);
      this.#rows = [];
    }
    view.commit(this.#live() || this.#pending.length > 0);
    this.#afterFrame();
    if (wrote) {
      // What the frame cost besides writing (committing, the layout it forced) comes out
      // of the next frame's writing time.
      const rest = this.#clock() - started - writing;
      this.#writeBudget = Math.max(0, FRAME_BUDGET_MS - rest);
    }
    if (this.#pending.length > 0) this.request();
  }

  /** The next at most `SLICE_CHARS` of pending text, or null when none is left. */
  #nextSlice() {
    const piece = this.#pending[0];
    if (piece === undefined) return null;
    if (piece.length <= SLICE_CHARS) {
      this.#pending.shift();
      return piece;
    }
    const cut = splitPoint(piece, SLICE_CHARS);
    this.#pending[0] = piece.slice(cut);
    return piece.slice(0, cut);
  }
}
