// @ts-check
/**
 * The settled blocks of a text or markdown view, gathered in sections, with the number
 * of stream characters each holds, so that the oldest can go (bounded text, `max_chars`)
 * in time that grows with what goes, not with what stays.
 */

/**
 * Characters of settled blocks gathered in one section. The browser skips the layout and
 * paint of sections out of sight (`content-visibility: auto`), but checks every such
 * element's visibility on every frame: a few large sections keep that check small, where
 * thousands of blocks made it grow with the answer.
 */
export const SECTION_CHARS = 32768;

/**
 * @param {Document} document
 * @param {string} className
 * @param {string} [tag]
 */
export function element(document, className, tag = "div") {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

/**
 * @typedef {object} Section
 * @property {HTMLElement} el
 * @property {number} chars the stream characters of its blocks still there
 * @property {number} added the stream characters ever added: a section is full by this,
 *   not by `chars`, or with text bounded below `SECTION_CHARS` one section would take
 *   every block for ever (and `sizes` grow without end)
 * @property {number[]} sizes each block's stream characters, in order
 * @property {number} head `sizes` before this are blocks gone already
 * @property {boolean} alone the section is one block, adopted where it stands (`el` is
 *   the block)
 */

/**
 * The settled blocks of a view, in sections of about `SECTION_CHARS`, before the view's
 * live tail.
 */
export class Sections {
  #document;
  #root;
  #before;
  /** @type {Section[]} */
  #list = [];

  /**
   * @param {Document} document
   * @param {HTMLElement} root the view's element
   * @param {HTMLElement} before the tail: sections go before it (see `adopt`)
   */
  constructor(document, root, before) {
    this.#document = document;
    this.#root = root;
    this.#before = before;
  }

  /** The last settled block, if any. */
  get last() {
    const section = this.#list.at(-1);
    if (section === undefined) return null;
    return section.alone ? section.el : /** @type {HTMLElement} */ (section.el.lastElementChild);
  }

  /** The first settled block and its size in stream characters, if any. */
  get first() {
    const section = this.#list[0];
    if (section === undefined) return null;
    const el = section.alone ? section.el : /** @type {HTMLElement} */ (section.el.firstElementChild);
    return { el, chars: section.sizes[section.head] };
  }

  /**
   * @param {HTMLElement} block
   * @param {number} chars the stream characters it shows
   */
  add(block, chars) {
    let section = this.#list.at(-1);
    if (section === undefined || section.alone || section.added >= SECTION_CHARS) {
      const el = element(this.#document, "sse-widget-section");
      section = { el, chars: 0, added: 0, sizes: [], head: 0, alone: false };
      this.#root.insertBefore(section.el, this.#before);
      this.#list.push(section);
    }
    section.el.append(block);
    section.sizes.push(chars);
    section.chars += chars;
    section.added += chars;
  }

  /**
   * Settle a block that is already in place, after the last section: the tail a long
   * line grew in, which moving would lay out again. It stands as a section of its own;
   * the sections that follow go before `before`, the new tail.
   * @param {HTMLElement} block
   * @param {number} chars the stream characters it shows
   * @param {HTMLElement} before
   */
  adopt(block, chars, before) {
    this.#list.push({ el: block, chars, added: chars, sizes: [chars], head: 0, alone: true });
    this.#before = before;
  }

  /** Remove the first settled block; an emptied section goes with it. */
  shift() {
    const section = this.#list[0];
    if (section === undefined) return;
    (section.alone ? section.el : section.el.firstElementChild)?.remove();
    section.chars -= section.sizes[section.head];
    section.head += 1;
    if (section.head === section.sizes.length) {
      section.el.remove();
      this.#list.shift(); // a few dozen sections at most: cheap
    }
  }

  /**
   * The first block lost `chars` stream characters from its front (the text view cut it).
   * @param {number} chars
   */
  shrinkFirst(chars) {
    const section = this.#list[0];
    if (section === undefined) return;
    section.sizes[section.head] -= chars;
    section.chars -= chars;
  }

  /**
   * Remove the blocks that lie wholly within the first `chars` stream characters.
   * @param {number} chars
   * @returns {number} what is left of `chars` (it falls inside the next block, or past the last)
   */
  dropWhole(chars) {
    let left = chars;
    for (let first = this.first; first !== null && first.chars <= left; first = this.first) {
      left -= first.chars;
      this.shift();
    }
    return left;
  }

  clear() {
    this.#root.replaceChildren(this.#before);
    this.#list = [];
  }
}
