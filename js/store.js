// @ts-check
/**
 * The view's copy of the stream: text and event rows, kept in step with the kernel by
 * numbered deltas and, when a delta is missing, a snapshot (see sse_widget/_coalesce.py).
 *
 * No DOM here. The store tells its listener what changed ("reset" to new content, "append"
 * of a piece, "trim" of the oldest text) and asks the kernel for a snapshot through
 * `requestSync` when it sees a gap: a view that appeared late, a reloaded page, a dropped
 * message.
 *
 * The kernel keeps at most `max_chars` of a stream's text: past it, it drops the oldest.
 * Messages carry `dropped`, the total UTF-16 code units (JS string length) dropped from
 * the front of this generation's text so far; a delta means "append `text`, then drop
 * from the front until `dropped` units are gone", which may reach into the text it just
 * appended. Absent, it is unchanged (a delta) or 0 (a snapshot's first part).
 */

/**
 * @typedef {{ t: number, event: string, id: string | null, data: string }} Row
 * @typedef {import("./format.js").Stats} Stats
 * @typedef {{ kind: "delta", gen: number, seq: number, text: string, dropped?: number,
 *             rows?: Row[], stats?: Stats }} Delta
 * @typedef {{ kind: "snapshot", gen: number, seq: number, part: number, parts: number,
 *             text: string, dropped?: number, rows?: Row[], stats?: Stats }} Snapshot
 * @typedef {{ type: "reset", text: string, rows: Row[], dropped: number }} ResetChange
 *   new content; `dropped`: units of this generation's text not kept before it
 * @typedef {{ type: "append", text: string, rows: Row[] }} AppendChange
 * @typedef {{ type: "trim", units: number, dropped: number }} TrimChange
 *   the first `units` units of the text held are gone; `dropped`: the new total
 * @typedef {ResetChange | AppendChange | TrimChange} Change
 */

/** Milliseconds after which an unanswered snapshot request is sent again. */
export const SYNC_RETRY_MS = 2000;

export class StreamStore {
  /** The generation (one per start or restart) this store holds. */
  gen = 0;
  /** The number of the last delta applied (0: none). */
  seq = 0;
  /**
   * The text, in the pieces it came in: appending never copies what is held, and the
   * oldest text goes a piece at a time. Pieces before `#head` are gone already.
   * @type {string[]}
   */
  #chunks = [];
  #head = 0;
  /** Units held, from `#head` on. */
  #length = 0;
  #dropped = 0;
  /** @type {Row[]} */
  #rows = [];
  #maxRows;
  #requestSync;
  #listener;
  #onStats;
  #now;
  /** When a snapshot was asked for; null when none is awaited. @type {number | null} */
  #syncAskedAt = null;
  /** The snapshot being received part by part. @type {{ gen: number, seq: number, next: number, parts: number } | null} */
  #incoming = null;

  /**
   * @param {object} options
   * @param {(gen: number, seq: number) => void} options.requestSync ask the kernel for a snapshot
   * @param {(change: Change) => void} options.onChange
   * @param {(stats: Stats) => void} [options.onStats] the live figures, as they come
   * @param {number} [options.maxRows] event rows to keep
   * @param {() => number} [options.now] a clock in milliseconds
   */
  constructor({ requestSync, onChange, onStats = () => {}, maxRows = 500, now = () => Date.now() }) {
    this.#requestSync = requestSync;
    this.#listener = onChange;
    this.#onStats = onStats;
    this.#maxRows = maxRows;
    this.#now = now;
  }

  /** The text of this generation that is kept (all of it, unless some was dropped). */
  get text() {
    if (this.#head > 0 || this.#chunks.length !== 1) {
      this.#chunks = [this.#chunks.slice(this.#head).join("")];
      this.#head = 0;
    }
    return this.#chunks[0];
  }

  /** Units (UTF-16 code units) dropped from the front of this generation's text. */
  get dropped() {
    return this.#dropped;
  }

  /** The most recent event rows. */
  get rows() {
    return this.#rows.slice();
  }

  /** Whether a snapshot has been asked for and not yet fully received. */
  get syncing() {
    return this.#syncAskedAt !== null;
  }

  /**
   * Ask for the whole state, e.g. when a view appears on a stream that already ran.
   * @param {number} gen the generation the kernel reports
   */
  catchUp(gen) {
    if (gen > this.gen) this.#reset(gen, "", []);
    if (this.gen > 0) this.#askSync(true);
  }

  /**
   * The kernel started a new generation (a restart): drop the old text.
   * @param {number} gen
   */
  newGeneration(gen) {
    if (gen > this.gen) this.#reset(gen, "", []);
  }

  /**
   * Apply one message from the kernel; other messages are ignored.
   * @param {unknown} message
   */
  receive(message) {
    if (!isObject(message)) return;
    if (message.kind === "delta") this.#delta(/** @type {Delta} */ (message));
    else if (message.kind === "snapshot") this.#snapshot(/** @type {Snapshot} */ (message));
  }

  /** @param {Delta} delta */
  #delta(delta) {
    if (delta.gen < this.gen) return; // from a generation already replaced
    if (delta.gen > this.gen) this.#reset(delta.gen, "", []);
    if (delta.stats) this.#onStats(delta.stats); // the newest figures, even from a delta skipped
    if (this.#incoming !== null) return; // the snapshot being received covers it
    if (delta.seq <= this.seq) return; // seen already (in a snapshot)
    if (this.#syncAskedAt !== null) {
      // Everything sent before the snapshot is in it; ask again only if it never comes.
      if (this.#now() - this.#syncAskedAt > SYNC_RETRY_MS) this.#askSync(true);
      return;
    }
    if (delta.seq !== this.seq + 1) {
      this.#askSync(false);
      return;
    }
    this.seq = delta.seq;
    this.#append(delta.text, delta.rows ?? []);
    if (typeof delta.dropped === "number" && delta.dropped > this.#dropped) this.#trim(delta.dropped);
  }

  /** @param {Snapshot} snap */
  #snapshot(snap) {
    if (snap.gen < this.gen) return;
    if (snap.part === 0) {
      // Another view's (or another page's) request is answered to every view: a store
      // that is in step already ignores it.
      const wanted = snap.gen > this.gen || this.#syncAskedAt !== null || snap.seq > this.seq;
      if (!wanted) return;
      this.#incoming = { gen: snap.gen, seq: snap.seq, next: 1, parts: snap.parts };
      this.#reset(snap.gen, snap.text, snap.rows ?? [], snap.dropped ?? 0);
      if (snap.stats) this.#onStats(snap.stats);
    } else {
      const current = this.#incoming;
      if (current === null || current.gen !== snap.gen || current.seq !== snap.seq) return;
      if (snap.part !== current.next) {
        // A part went missing: start over.
        this.#incoming = null;
        this.#askSync(true);
        return;
      }
      current.next += 1;
      this.#append(snap.text, snap.rows ?? []);
    }
    const incoming = this.#incoming;
    if (incoming !== null && incoming.next === incoming.parts) {
      this.seq = incoming.seq;
      this.#incoming = null;
      this.#syncAskedAt = null;
    }
  }

  /**
   * @param {number} gen
   * @param {string} text
   * @param {Row[]} rows
   * @param {number} [dropped]
   */
  #reset(gen, text, rows, dropped = 0) {
    this.gen = gen;
    this.seq = 0;
    this.#chunks = [text];
    this.#head = 0;
    this.#length = text.length;
    this.#dropped = dropped;
    this.#rows = rows.slice(-this.#maxRows);
    this.#listener({ type: "reset", text, rows: this.#rows.slice(), dropped });
  }

  /**
   * @param {string} text
   * @param {Row[]} rows
   */
  #append(text, rows) {
    if (text) {
      this.#chunks.push(text);
      this.#length += text.length;
    }
    if (rows.length) {
      this.#rows.push(...rows);
      if (this.#rows.length > this.#maxRows) this.#rows.splice(0, this.#rows.length - this.#maxRows);
    }
    if (text || rows.length) this.#listener({ type: "append", text, rows });
  }

  /**
   * Drop the oldest text until `dropped` units of this generation are gone.
   * @param {number} dropped the kernel's new total
   */
  #trim(dropped) {
    // The kernel never drops more than it holds; a store out of step with it (which a
    // snapshot will mend) drops what it has rather than fail.
    const units = Math.min(dropped - this.#dropped, this.#length);
    this.#dropped = dropped;
    let left = units;
    while (left > 0) {
      const first = this.#chunks[this.#head];
      if (first.length > left) {
        this.#chunks[this.#head] = first.slice(left);
        break;
      }
      left -= first.length;
      this.#head += 1;
    }
    this.#length -= units;
    // Compact now and then, not on every drop: cost per piece dropped stays constant.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    this.#listener({ type: "trim", units, dropped });
  }

  /** @param {boolean} force ask even if a request is outstanding */
  #askSync(force) {
    if (this.#syncAskedAt !== null && !force) return;
    this.#syncAskedAt = this.#now();
    this.#requestSync(this.gen, this.seq);
  }
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === "object" && value !== null;
}
