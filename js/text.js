// @ts-check
/**
 * The text view: plain text, wrapped, exactly as the stream sent it.
 *
 * Browsers lay out a block again whenever its text grows, so the view grows only a small
 * tail and moves finished lines into settled blocks, gathered in sections:
 *
 *     section ─ block "line 1\nline 2"   (its end stands for the last line feed)
 *             ─ block "line 3\nline 4"
 *     tail    ─ piece ─ piece ─ text "the line still being written"  caret
 *
 * A line longer than `LONG_LINE_CHARS` that has not ended yet is kept in the tail as
 * *pieces*: inline blocks the full width of the view, each cut where the browser already
 * wraps that line (measured, see `lastLineStart`), so the reader sees the line as it would
 * be laid out whole. Each piece is laid out once; only the text after the last piece is laid
 * out again as it grows. Inline blocks are not line breaks, so the page's own text
 * (`innerText`, what copying and screen readers get) stays exactly the stream's. When the
 * line ends, the tail it grew in becomes a settled block where it stands (moving a long
 * line's pieces would lay them all out again) and a new tail starts after it.
 *
 * When the view's width changes, or pieces were cut while the view was not laid out
 * (hidden: they were cut at a space, not where the line wraps), the pieces are joined
 * again, so no line shows a break the stream did not send.
 */

import { Sections, element } from "./sections.js";

/** Characters in the tail after which its finished lines move to a block of their own. */
export const SEAL_CHARS = 2048;
/** Characters of an unfinished line after which its wrapped lines become a piece. */
export const LONG_LINE_CHARS = 4096;

const PIECE = "sse-widget-piece";
const TEXT_NODE = 3;

/** Plain text, wrapped, in blocks that end at line ends. */
export class TextView {
  #document;
  #tail;
  #tailText;
  #caret;
  #sections;
  /** Reused to measure where lines wrap. */
  #range;
  /** The view's width when pieces were last cut where its lines wrap. */
  #pieceWidth = 0;
  /** Some pieces were cut while the view was not laid out: at a space, not a wrap. */
  #blind = false;

  /**
   * @param {Document} document
   * @param {string} [className] the answer's by default; the reasoning and tool calls
   *   name theirs, so that `.sse-widget-text` stays the answer alone
   */
  constructor(document, className = "sse-widget-text") {
    this.#document = document;
    this.el = element(document, className);
    // Blocks of finished lines end in a line break of the stylesheet's (see widget.css).
    this.el.classList.add("sse-widget-flow");
    this.#caret = element(document, "sse-widget-caret", "span");
    this.#tailText = document.createTextNode("");
    this.#tail = this.#newTail();
    this.el.append(this.#tail);
    this.#sections = new Sections(document, this.el, this.#tail);
    this.#range = document.createRange();
    const Observer = document.defaultView?.ResizeObserver;
    if (Observer) new Observer(() => this.#resized()).observe(this.el);
  }

  reset() {
    this.#tailText.data = "";
    this.#tail.replaceChildren(this.#tailText, this.#caret);
    this.#sections.clear();
  }

  /** @param {string} text */
  write(text) {
    this.#tailText.appendData(text);
    if (this.#tailText.length > SEAL_CHARS) this.#seal();
  }

  /** @param {number} units */
  drop(units) {
    const left = this.#sections.dropWhole(units);
    if (left === 0) return true;
    const first = this.#sections.first;
    if (first !== null) {
      // Cut anywhere: the view shows exactly the kept text. A block never loses its line
      // break (the cut falls before it: dropWhole took it).
      deleteFront(first.el, left);
      this.#sections.shrinkFirst(left);
    } else {
      deleteFront(this.#tail, left);
    }
    return true;
  }

  /** @param {import("./store.js").Row[]} _rows */
  addRows(_rows) {}

  /** @param {boolean} live */
  commit(live) {
    this.#caret.hidden = !live;
  }

  #newTail() {
    const tail = element(this.#document, "sse-widget-tail");
    tail.append(this.#tailText, this.#caret);
    return tail;
  }

  /**
   * Move the tail's finished lines into a block of their own. The reader sees one flow of
   * text: a block holds whole lines without their last line feed, which its end stands
   * for (block boundaries are line breaks; the stylesheet's generated line feed keeps a
   * last empty line), so even the page's own text (`innerText`) is exactly the stream's.
   */
  #seal() {
    const data = this.#tailText.data;
    const end = lastLineEnd(data);
    if (end >= 0 && this.#tail.firstChild !== this.#tailText) {
      this.#settleLongLine(data, data.indexOf("\n"));
      if (this.#tailText.length > SEAL_CHARS) this.#seal();
    } else if (end >= 0) {
      const block = element(this.#document, "sse-widget-block");
      block.textContent = data.slice(0, end);
      this.#sections.add(block, end + 1);
      this.#tailText.data = data.slice(end + 1);
    } else if (data.length > LONG_LINE_CHARS) {
      this.#cutPiece(data);
    }
  }

  /**
   * The tail's long line ended at `end`: the tail, pieces and all, becomes a settled block
   * where it stands, and a new tail takes the text after the line feed.
   * @param {string} data the tail's text
   * @param {number} end where its first line feed is
   */
  #settleLongLine(data, end) {
    const line = this.#tail;
    this.#tailText.deleteData(end, data.length - end);
    const units = (line.textContent?.length ?? 0) + 1;
    this.#tailText = this.#document.createTextNode(data.slice(end + 1));
    this.#tail = this.#newTail();
    line.after(this.#tail);
    line.classList.replace("sse-widget-tail", "sse-widget-block");
    this.#sections.adopt(line, units, this.#tail);
  }

  /**
   * Cut the tail's text, one unfinished line, before its last wrapped line: the rest
   * becomes a piece, laid out once.
   * @param {string} data the tail's text
   */
  #cutPiece(data) {
    let cut = lastLineStart(this.#tailText, this.#range);
    if (cut > 0) {
      this.#pieceWidth = this.el.clientWidth; // laid out already: no extra work
    } else {
      // Not laid out (hidden, or not in the page yet), or not wrapped: after a space,
      // joined again once the view has a width (see #resized).
      cut = data.lastIndexOf(" ") + 1 || splitPoint(data, data.length);
      this.#blind = true;
    }
    const piece = element(this.#document, PIECE, "span");
    piece.textContent = data.slice(0, cut);
    this.#tail.insertBefore(piece, this.#tailText);
    this.#tailText.deleteData(0, cut);
  }

  /** The view's width changed: pieces cut for another width (or none) are joined. */
  #resized() {
    // Called after every layout that changed the view's size: as it grows, too.
    const width = this.el.clientWidth;
    if (width === 0 || (width === this.#pieceWidth && !this.#blind)) return;
    this.#pieceWidth = width;
    this.#blind = false;
    const blocks = new Set([...this.el.querySelectorAll(`.${PIECE}`)].map((piece) => piece.parentElement));
    for (const block of blocks) {
      if (block === this.#tail) {
        // The next write cuts it again where it now wraps.
        this.#tailText.data = block.textContent ?? "";
        block.replaceChildren(this.#tailText, this.#caret);
      } else if (block !== null) {
        block.textContent = block.textContent; // laid out once, as one line
      }
    }
  }
}

/**
 * Where to end a block of the tail's finished lines: a line feed, or -1 for none.
 *
 * The last line stays in the tail with its line feed, even a finished one: a page's text
 * (innerText) drops line breaks at its very end that only a block's end makes. And a
 * block does not end in a blank line: copying (the selection's text) writes one line
 * break where a block ending in a line feed ends, so the blank line is cut before
 * instead and starts the next block. Only text of blank lines alone, past
 * `LONG_LINE_CHARS`, ends a block in one (the stylesheet's generated line feed shows it).
 * @param {string} data
 */
export function lastLineEnd(data) {
  const last = data.lastIndexOf("\n", data.length - 2);
  let end = last;
  while (end > 0 && data.charCodeAt(end - 1) === 10) end -= 1;
  if (end > 0) return end;
  return last > 0 && data.length > LONG_LINE_CHARS ? last : -1;
}

/**
 * Where the last line of a laid-out text node starts, as the browser wrapped it: 0 when
 * it is all one line, -1 when it is not laid out (hidden, or not in the page) or the
 * browser cannot measure ranges.
 *
 * A character lies on an earlier line when its middle is above the top of the last
 * character: robust to glyphs of other heights (fallback fonts, emoji) on one line.
 * Lines run top to bottom in the text's order, so a binary search finds the first
 * character of the last line in a dozen measurements of an already laid-out text.
 * @param {Text} text
 * @param {Range} range
 */
export function lastLineStart(text, range) {
  if (typeof range.getBoundingClientRect !== "function") return -1;
  /** The box of the character at `at` (both halves of a surrogate pair). @param {number} at */
  const box = (at) => {
    range.setStart(text, at);
    range.setEnd(text, Math.min(text.length, splitPoint(text.data, at + 1) === at ? at + 2 : at + 1));
    return range.getBoundingClientRect();
  };
  const last = box(splitPoint(text.data, text.length - 1));
  if (last.height === 0) return -1;
  const above = (/** @type {number} */ at) => {
    const rect = box(at);
    return (rect.top + rect.bottom) / 2 < last.top;
  };
  if (!above(0)) return 0;
  let low = 0; // above
  let high = text.length - 1; // not above
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (above(middle)) low = middle;
    else high = middle;
  }
  return splitPoint(text.data, high);
}

/**
 * Remove the first `units` UTF-16 units of the text a block or tail holds: its pieces and
 * text nodes, in order (the caret holds none).
 * @param {HTMLElement} el
 * @param {number} units
 */
function deleteFront(el, units) {
  let left = units;
  for (let node = el.firstChild; node !== null && left > 0; ) {
    const next = node.nextSibling;
    const text = node.nodeType === TEXT_NODE ? node : node.firstChild;
    if (text !== null && text.nodeType === TEXT_NODE) {
      const data = /** @type {Text} */ (text);
      const cut = Math.min(left, data.length);
      data.deleteData(0, cut);
      left -= cut;
      if (text !== node && data.length === 0) node.remove(); // an emptied piece
    }
    node = next;
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
