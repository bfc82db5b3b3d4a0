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
 *
 * Beside the answer, a model's stream may carry its reasoning ("thinking"), tool calls
 * and why it stopped. They ride in the same numbered messages, so the same order and gap
 * rules hold: a delta is applied whole (answer, reasoning, tool updates, finish reason)
 * or not at all. A delta's `reasoning` is appended, each of its `tools` updates one call
 * (a new index starts one; `args` is appended), `finish` replaces the reason; a snapshot's
 * first part replaces all three (absent: none), as it replaces the text. Reasoning is
 * kept like the text: in pieces, the oldest dropped when the kernel says so
 * (`reasoning_dropped`, the same rule as `dropped`) or when the store holds more than
 * `maxReasoning` units.
 */

/**
 * @typedef {{ t: number, event: string, id: string | null, data: string }} Row
 * @typedef {import("./format.js").Stats} Stats
 * @typedef {{ i: number, id?: string, name?: string, args?: string, done?: boolean }} ToolUpdate
 *   a piece of tool call `i` (0-based, in order of appearance): `args` is appended
 * @typedef {{ readonly i: number, readonly id: string | null, readonly name: string | null,
 *             readonly args: string, readonly done: boolean }} ToolCall
 *   a tool call as streamed so far: `args` is the raw argument text (JSON once `done`,
 *   unless the model erred)
 * @typedef {{ reasoning?: string, reasoning_dropped?: number, tools?: ToolUpdate[],
 *             finish?: string }} Beside
 *   what a model's stream carries beside the answer
 * @typedef {{ kind: "delta", gen: number, seq: number, text: string, dropped?: number,
 *             rows?: Row[], stats?: Stats } & Beside} Delta
 * @typedef {{ kind: "snapshot", gen: number, seq: number, part: number, parts: number,
 *             text: string, dropped?: number, rows?: Row[], stats?: Stats } & Beside} Snapshot
 *
 * @typedef {{ type: "reset", text: string, rows: Row[], dropped: number }} ResetChange
 *   new content; `dropped`: units of this generation's text not kept before it
 * @typedef {{ type: "append", text: string, rows: Row[] }} AppendChange
 * @typedef {{ type: "trim", units: number, dropped: number }} TrimChange
 *   the first `units` units of the text held are gone; `dropped`: the new total
 * @typedef {ResetChange | AppendChange | TrimChange} TextChange
 *   what the answer's view is told
 *
 * @typedef {{ type: "reasoning-reset", text: string, dropped: number }} ReasoningResetChange
 *   the reasoning is now `text` ("" on a new generation); `dropped`: units not kept before it
 * @typedef {{ type: "reasoning", text: string }} ReasoningChange  reasoning appended
 * @typedef {{ type: "reasoning-trim", units: number, dropped: number }} ReasoningTrimChange
 *   the first `units` units of the reasoning held are gone; `dropped`: the new total
 * @typedef {{ type: "tools", calls: ToolCall[] }} ToolsChange  every tool call replaced
 * @typedef {{ type: "tool", call: ToolCall, args: string }} ToolChange
 *   one call started or changed; `args`: the argument text this update appended
 * @typedef {{ type: "finish", reason: string | null }} FinishChange
 *   the provider's finish reason, in its own word; null: none (yet)
 *
 * @typedef {TextChange | ReasoningResetChange | ReasoningChange | ReasoningTrimChange
 *           | ToolsChange | ToolChange | FinishChange} Change
 */

/** Milliseconds after which an unanswered snapshot request is sent again. */
export const SYNC_RETRY_MS = 2000;
/**
 * Units of reasoning a store keeps at most, whatever the kernel sends: twice what the
 * kernel keeps by default (`max_chars`), so that a store in step with the kernel never
 * cuts first, while a kernel that does not say what it dropped cannot grow the page's
 * memory without end.
 */
export const MAX_REASONING_UNITS = 4_000_000;

/**
 * Text held in the pieces it came in: appending never copies what is held, and the
 * oldest text goes a piece at a time.
 */
export class Pieces {
  /** Pieces before `#head` are gone already. @type {string[]} */
  #chunks = [];
  #head = 0;
  /** Units held, from `#head` on. */
  #length = 0;
  #dropped = 0;

  /** The text held, joined (once: it stays joined until more comes). */
  get text() {
    if (this.#head > 0 || this.#chunks.length !== 1) {
      this.#chunks = [this.#chunks.slice(this.#head).join("")];
      this.#head = 0;
    }
    return this.#chunks[0];
  }

  /** UTF-16 units held. */
  get length() {
    return this.#length;
  }

  /** Units dropped from the front since the last reset, in all. */
  get dropped() {
    return this.#dropped;
  }

  /**
   * @param {string} text
   * @param {number} dropped units of the whole not kept before `text`
   */
  reset(text, dropped) {
    this.#chunks = [text];
    this.#head = 0;
    this.#length = text.length;
    this.#dropped = dropped;
  }

  /** @param {string} text */
  append(text) {
    this.#chunks.push(text);
    this.#length += text.length;
  }

  /**
   * Drop the oldest text until `dropped` units are gone in all.
   * @param {number} dropped the new total
   * @returns {number} the units removed now
   */
  trim(dropped) {
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
    return units;
  }

  /**
   * `units`, or one more if the first `units` units of the text held end inside a
   * surrogate pair: where a cut of the store's own keeps whole characters.
   * @param {number} units
   */
  wholeCharacters(units) {
    let at = units;
    for (let i = this.#head; i < this.#chunks.length; i += 1) {
      const piece = this.#chunks[i];
      if (at <= piece.length) {
        const code = piece.charCodeAt(at - 1);
        return code >= 0xd800 && code <= 0xdbff ? units + 1 : units;
      }
      at -= piece.length;
    }
    return units;
  }
}

export class StreamStore {
  /** The generation (one per start or restart) this store holds. */
  gen = 0;
  /** The number of the last delta applied (0: none). */
  seq = 0;
  /** The answer's text. */
  #text = new Pieces();
  #reasoning = new Pieces();
  /** @type {ToolCall[]} */
  #tools = [];
  /** @type {string | null} */
  #finish = null;
  /** @type {Row[]} */
  #rows = [];
  #maxRows;
  #maxReasoning;
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
   * @param {number} [options.maxReasoning] units of reasoning to keep (the newest)
   * @param {() => number} [options.now] a clock in milliseconds
   */
  constructor({
    requestSync, onChange, onStats = () => {}, maxRows = 500, maxReasoning = MAX_REASONING_UNITS,
    now = () => Date.now(),
  }) {
    this.#requestSync = requestSync;
    this.#listener = onChange;
    this.#onStats = onStats;
    this.#maxRows = maxRows;
    this.#maxReasoning = maxReasoning;
    this.#now = now;
  }

  /** The text of this generation that is kept (all of it, unless some was dropped). */
  get text() {
    return this.#text.text;
  }

  /** Units (UTF-16 code units) dropped from the front of this generation's text. */
  get dropped() {
    return this.#text.dropped;
  }

  /**
   * Whether the model's answer began: text (kept or dropped) or a tool call. Its
   * reasoning, if any, came before: the thinking is over.
   */
  get answered() {
    return this.#text.length > 0 || this.#text.dropped > 0 || this.#tools.length > 0;
  }

  /** The reasoning of this generation that is kept. */
  get reasoning() {
    return this.#reasoning.text;
  }

  /** Units dropped from the front of this generation's reasoning. */
  get reasoningDropped() {
    return this.#reasoning.dropped;
  }

  /** Whether this generation has any reasoning (kept or dropped). */
  get reasoned() {
    return this.#reasoning.length > 0 || this.#reasoning.dropped > 0;
  }

  /** The tool calls, in order of appearance. */
  get tools() {
    return this.#tools.slice();
  }

  /** The provider's finish reason, in its own word; null until it is known. */
  get finish() {
    return this.#finish;
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
    if (typeof delta.dropped === "number" && delta.dropped > this.#text.dropped) this.#trim(delta.dropped);
    this.#addReasoning(delta.reasoning, delta.reasoning_dropped);
    if (Array.isArray(delta.tools)) for (const update of delta.tools) this.#updateTool(update);
    if (typeof delta.finish === "string" && delta.finish !== this.#finish) this.#setFinish(delta.finish);
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
      this.#reset(snap.gen, snap.text, snap.rows ?? [], snap.dropped ?? 0, snap);
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
      // A long reasoning may come in parts too, appended as the text is.
      this.#addReasoning(snap.reasoning, undefined);
    }
    const incoming = this.#incoming;
    if (incoming !== null && incoming.next === incoming.parts) {
      this.seq = incoming.seq;
      this.#incoming = null;
      this.#syncAskedAt = null;
    }
  }

  /**
   * New content: the answer's, and what a model's stream carries beside it, each told
   * to the listener only if there was or is some (a stream without reasoning hears of
   * none).
   * @param {number} gen
   * @param {string} text
   * @param {Row[]} rows
   * @param {number} [dropped]
   * @param {Beside} [beside] a snapshot's reasoning, tool calls and finish reason
   */
  #reset(gen, text, rows, dropped = 0, beside = {}) {
    this.gen = gen;
    this.seq = 0;
    this.#text.reset(text, dropped);
    this.#rows = rows.slice(-this.#maxRows);
    const hadReasoning = this.reasoned;
    const reasoning = typeof beside.reasoning === "string" ? beside.reasoning : "";
    const reasoningDropped = typeof beside.reasoning_dropped === "number" ? beside.reasoning_dropped : 0;
    this.#reasoning.reset(reasoning, reasoningDropped);
    const hadTools = this.#tools.length > 0;
    this.#tools = [];
    if (Array.isArray(beside.tools)) {
      // Whole calls, in index order: each starts the call after the ones before it.
      const calls = beside.tools.filter(isObject).sort((a, b) => a.i - b.i);
      for (const call of calls) this.#applyTool(call);
    }
    const finish = typeof beside.finish === "string" ? beside.finish : null;
    const finishChanged = finish !== this.#finish;
    this.#finish = finish;

    // Told once all is in place, so that a listener reading the store sees the new state.
    this.#listener({ type: "reset", text, rows: this.#rows.slice(), dropped });
    if (hadReasoning || this.reasoned) {
      this.#listener({ type: "reasoning-reset", text: reasoning, dropped: reasoningDropped });
      this.#addReasoning("", undefined); // a snapshot's may be more than the store keeps
    }
    if (hadTools || this.#tools.length > 0) this.#listener({ type: "tools", calls: this.#tools.slice() });
    if (finishChanged) this.#listener({ type: "finish", reason: finish });
  }

  /**
   * @param {string} text
   * @param {Row[]} rows
   */
  #append(text, rows) {
    if (text) this.#text.append(text);
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
    const units = this.#text.trim(dropped);
    this.#listener({ type: "trim", units, dropped });
  }

  /**
   * Append reasoning, then drop its oldest units: up to the kernel's total `dropped`,
   * and further if the store holds more than it keeps.
   * @param {unknown} text
   * @param {unknown} dropped the kernel's total, if it sent one
   */
  #addReasoning(text, dropped) {
    const held = this.#reasoning;
    if (typeof text === "string" && text) {
      held.append(text);
      this.#listener({ type: "reasoning", text });
    }
    let total = typeof dropped === "number" ? dropped : 0;
    const over = held.length - this.#maxReasoning;
    if (over > 0) {
      // A sixteenth more than needed, so that the cut (a copy of the piece it falls in)
      // comes once per that much reasoning, not with every piece.
      const own = held.dropped + held.wholeCharacters(over + Math.floor(this.#maxReasoning / 16));
      total = Math.max(total, own);
    }
    if (total > held.dropped) {
      const units = held.trim(total);
      this.#listener({ type: "reasoning-trim", units, dropped: total });
    }
  }

  /** @param {unknown} update */
  #updateTool(update) {
    if (!isObject(update)) return;
    const args = typeof update.args === "string" ? update.args : "";
    const call = this.#applyTool(/** @type {ToolUpdate} */ (update));
    if (call !== null) this.#listener({ type: "tool", call, args });
  }

  /**
   * Apply an update to call `i`: the next index starts a call; one further on (which a
   * kernel in step never sends) is ignored rather than leave holes.
   * @param {ToolUpdate} update
   * @returns {ToolCall | null} the call as it is now, if the update changed it
   */
  #applyTool(update) {
    const { i } = update;
    if (!Number.isInteger(i) || i < 0 || i > this.#tools.length) return null;
    const before = this.#tools[i] ?? { i, id: null, name: null, args: "", done: false };
    const call = {
      i,
      id: before.id ?? (nonEmpty(update.id) ? update.id : null),
      name: before.name ?? (nonEmpty(update.name) ? update.name : null),
      // Joining strings does not copy them (engines keep a rope): one piece at a time is fine.
      args: typeof update.args === "string" ? before.args + update.args : before.args,
      done: before.done || update.done === true,
    };
    const changed = i === this.#tools.length || call.id !== before.id || call.name !== before.name
      || call.args !== before.args || call.done !== before.done;
    if (!changed) return null;
    this.#tools[i] = Object.freeze(call);
    return this.#tools[i];
  }

  /** @param {string | null} reason */
  #setFinish(reason) {
    this.#finish = reason;
    this.#listener({ type: "finish", reason });
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

/**
 * Whether a change is the answer's (its view's `Feed` takes those).
 * @param {Change} change
 * @returns {change is TextChange}
 */
export function isTextChange(change) {
  return change.type === "reset" || change.type === "append" || change.type === "trim";
}

/**
 * @param {unknown} value
 * @returns {value is string}
 */
function nonEmpty(value) {
  return typeof value === "string" && value.length > 0;
}
