// @ts-check
/**
 * A stand-in for the kernel's side of bounded text (`max_chars`), for node tests: it
 * keeps at most `maxChars` UTF-16 units, dropping the oldest at a line break when one is
 * near the cut, and never inside a surrogate pair (the kernel cuts at code points).
 */

export class FakeKernel {
  gen;
  seq = 0;
  text = "";
  dropped = 0;
  #maxChars;
  #near;
  #sentDropped = 0;

  /**
   * @param {number} maxChars
   * @param {{ gen?: number, near?: number }} [options] `near`: how far past the cut a
   *   line break may be and still be where it cuts
   */
  constructor(maxChars, { gen = 1, near = 80 } = {}) {
    this.#maxChars = maxChars;
    this.#near = near;
    this.gen = gen;
  }

  /**
   * Append `text`; the delta that says so, with `dropped` only when it changed.
   * @param {string} text
   * @returns {import("../store.js").Delta}
   */
  delta(text) {
    this.seq += 1;
    this.text += text;
    const over = this.text.length - this.#maxChars;
    if (over > 0) {
      let cut = over;
      const lineEnd = this.text.indexOf("\n", cut - 1);
      if (lineEnd !== -1 && lineEnd + 1 - cut <= this.#near) cut = lineEnd + 1;
      else if (isHighSurrogate(this.text.charCodeAt(cut - 1))) cut += 1;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
    /** @type {import("../store.js").Delta} */
    const delta = { kind: "delta", gen: this.gen, seq: this.seq, text };
    if (this.dropped !== this.#sentDropped) delta.dropped = this.dropped;
    this.#sentDropped = this.dropped;
    return delta;
  }

  /**
   * The state as a snapshot in parts of at most `partChars` (whole code points).
   * @param {number} partChars
   * @returns {import("../store.js").Snapshot[]}
   */
  snapshot(partChars) {
    const pieces = [];
    for (let at = 0; at < this.text.length || pieces.length === 0; ) {
      let end = Math.min(at + partChars, this.text.length);
      if (isHighSurrogate(this.text.charCodeAt(end - 1))) end -= 1;
      pieces.push(this.text.slice(at, end));
      at = end;
    }
    return pieces.map((text, part) => ({
      kind: "snapshot", gen: this.gen, seq: this.seq, part, parts: pieces.length, text,
      ...(part === 0 ? { dropped: this.dropped } : {}),
    }));
  }
}

/** @param {number} code */
function isHighSurrogate(code) {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * A repeatable stream of pseudo-random numbers in [0, 1): a linear congruential
 * generator, plenty for picking test text.
 * @param {number} seed
 */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}
