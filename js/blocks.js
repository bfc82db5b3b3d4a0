// @ts-check
/**
 * Streamed markdown, cut into settled blocks and a live tail.
 *
 * Re-rendering the whole document on every update costs time that grows with the answer.
 * Instead, text that can no longer change how it renders is cut off as a block and
 * rendered once; only the tail (the block still being written) is rendered again. The
 * work per update is then bounded by the tail, not by the document.
 *
 * A cut is made where markdown cannot join the two sides:
 * - before a line that starts at column 0 after a blank line (outside code fences): a new
 *   paragraph, heading, list or quote; indented lines may continue a list item, so no cut;
 * - before a code fence that opens at column 0, and after the line that closes it;
 * - inside a long code fence at a line end, every `CODE_CHUNK` characters: the pieces are
 *   written as fences of their own and marked `continues`, so the view draws them as one;
 * - at the last line end when the tail passes `TAIL_LIMIT` without any of the above.
 *
 * Known limits: a reference-style link whose definition comes in a later block stays text;
 * a loose list cut at its blank lines renders as consecutive lists (ordered lists keep
 * their numbers); a very long line is never cut.
 */

/** Characters of an open code fence after which a piece is cut off. */
export const CODE_CHUNK = 4096;
/** Characters of tail after which a cut is forced at the last line end. */
export const TAIL_LIMIT = 16384;

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})([^\r]*)\r?$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*\r?$/;

/**
 * @typedef {{ source: string, continues: boolean }} Block
 *   `continues`: this block carries on the code block of the one before it.
 * @typedef {{ marker: string, indent: number, opener: string }} Fence
 */

export class BlockSplitter {
  /** Source not yet cut off; starts at a line start. */
  #buffer = "";
  /** `#buffer` up to here is complete lines already looked at. */
  #scanned = 0;
  /** The code fence open at the end of the scanned lines. @type {Fence | null} */
  #fence = null;
  /** The opening line of the code fence the buffer carries on, if it does. @type {string | null} */
  #continuing = null;
  #previousBlank = false;

  /**
   * Add streamed text; returns the blocks it settled, in order.
   * @param {string} text
   * @returns {Block[]}
   */
  push(text) {
    /** @type {Block[]} */
    const blocks = [];
    this.#buffer += text;
    let end;
    while ((end = this.#buffer.indexOf("\n", this.#scanned)) !== -1) {
      const start = this.#scanned;
      this.#scanned = end + 1;
      const cut = this.#line(this.#buffer.slice(start, end), start, end + 1);
      if (cut > 0) blocks.push(this.#cut(cut));
      const fence = this.#fence;
      if (fence !== null && fence.indent === 0 && this.#scanned > CODE_CHUNK) {
        blocks.push(this.#cut(this.#scanned, fence));
      }
    }
    if (this.#fence === null && this.#buffer.length > TAIL_LIMIT && this.#scanned > 0) {
      blocks.push(this.#cut(this.#scanned));
    }
    return blocks;
  }

  /** The markdown source of the live tail, written so that it renders on its own. */
  get tail() {
    return this.#continuing === null ? this.#buffer : `${this.#continuing}\n${this.#buffer}`;
  }

  /** Whether the tail carries on the code block of the last settled block. */
  get tailContinues() {
    return this.#continuing !== null;
  }

  /**
   * Look at one complete line; return where to cut (a position in the buffer) or -1.
   * @param {string} line without its line feed
   * @param {number} start where the line starts
   * @param {number} after where the next line starts
   */
  #line(line, start, after) {
    const fence = this.#fence;
    if (fence !== null) {
      const close = FENCE_CLOSE.exec(line);
      if (close && close[1][0] === fence.marker[0] && close[1].length >= fence.marker.length) {
        this.#fence = null;
        this.#previousBlank = false;
        return fence.indent === 0 ? after : -1;
      }
      return -1;
    }
    const open = FENCE_OPEN.exec(line);
    // A backtick fence's info string may not contain a backtick (it would be inline code).
    if (open && !(open[2][0] === "`" && open[3].includes("`"))) {
      this.#fence = { marker: open[2], indent: open[1].length, opener: line.replace(/\r$/, "") };
      this.#previousBlank = false;
      return open[1].length === 0 && start > 0 ? start : -1;
    }
    const blank = line.trim() === "";
    const cut = !blank && this.#previousBlank && start > 0 && !/^[ \t]/.test(line);
    this.#previousBlank = blank;
    return cut ? start : -1;
  }

  /**
   * Cut the buffer at `position`, returning the block before it.
   * @param {number} position
   * @param {Fence} [within] the code fence the cut falls inside, if it does
   * @returns {Block}
   */
  #cut(position, within) {
    const piece = this.#buffer.slice(0, position);
    this.#buffer = this.#buffer.slice(position);
    this.#scanned -= position;
    const continues = this.#continuing !== null;
    let source = continues ? `${this.#continuing}\n${piece}` : piece;
    if (within) {
      source += `${within.marker}\n`;
      this.#continuing = within.opener;
    } else {
      this.#continuing = null;
    }
    return { source, continues };
  }
}
