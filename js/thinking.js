// @ts-check
/**
 * The reasoning ("thinking") a model streams before its answer, in a section above it.
 *
 * While the model thinks, the section is open and shows the last lines of its reasoning
 * (a box of fixed height that follows the end, as the body follows the answer); once the
 * answer starts (text or a tool call) it closes to one line, "Thought for N tokens",
 * which the reader can open again. What the reader chose stands: once they opened or
 * closed it, the section never opens or closes under them. A stream without reasoning
 * has no section at all.
 *
 * Reasoning is untrusted and may be long: it is plain text in a `TextView` (text nodes,
 * never HTML), fed by a `Feed` in the widget's shared frames, as the answer is.
 */

import { droppedNotice, thinkingLabel } from "./format.js";
import { Follower } from "./follow.js";
import { element } from "./sections.js";
import { Feed, TextView } from "./views.js";

/**
 * @typedef {import("./store.js").ReasoningResetChange | import("./store.js").ReasoningChange
 *           | import("./store.js").ReasoningTrimChange} ReasoningChanges
 * @typedef {import("./views.js").SharedFrame} SharedFrame
 */

export class ThinkingSection {
  #parent;
  #before;
  #title;
  #notice;
  #feed;
  #live;
  #answered = false;
  /** Whether the reader opened or closed the section: it stays as they left it. */
  #chosen = false;
  /** The count the kernel gives (`stats.reasoning_tokens`); null: not given. @type {number | null} */
  #tokens = null;
  /**
   * Pieces of reasoning received: the count when the kernel gives none, and a floor
   * under the kernel's, whose figures ride on deltas a timer's tick behind.
   */
  #pieces = 0;
  /** Units of reasoning not kept, as the notice shows it; what the store says. */
  #shownDropped = 0;
  #dropped = 0;

  /**
   * @param {Document} document
   * @param {object} options
   * @param {HTMLElement} options.parent where the section goes when there is reasoning
   * @param {Node | null} options.before the node it goes before (the answer's)
   * @param {SharedFrame} options.frame the widget's frames, shared with its other feeds
   * @param {() => boolean} options.live whether the stream may still send
   * @param {() => string} options.source all the reasoning kept (the store's)
   * @param {() => void} [options.afterFrame] runs after each frame's DOM work
   * @param {() => number} [options.clock] milliseconds, e.g. `performance.now`
   */
  constructor(document, { parent, before, frame, live, source, afterFrame = () => {}, clock }) {
    this.#parent = parent;
    this.#before = before;
    this.#live = live;

    this.el = /** @type {HTMLDetailsElement} */ (element(document, "sse-widget-thinking", "details"));
    const summary = element(document, "sse-widget-thinking-summary", "summary");
    this.#title = element(document, "sse-widget-thinking-title", "span");
    summary.append(this.#title);
    // A click (or Enter, Space) on the summary is the reader's; `toggle` events are not
    // told apart from the section's own opening and closing.
    summary.addEventListener("click", () => {
      this.#chosen = true;
    });
    const box = element(document, "sse-widget-thinking-body");
    this.#notice = element(document, "sse-widget-thinking-dropped");
    this.#notice.setAttribute("role", "note");
    this.#notice.hidden = true;
    /** The reasoning's text (a test may time its writes). */
    this.view = new TextView(document, "sse-widget-thinking-text");
    box.append(this.#notice, this.view.el);
    this.el.append(summary, box);

    /** Keeps the end of the reasoning in view while the reader has not scrolled up. */
    this.follower = new Follower(box, () => {});
    this.#feed = new Feed(this.view, {
      schedule: (callback) => frame.request(callback),
      spent: () => frame.spent(),
      live: () => !this.ended,
      source,
      clock,
      afterFrame: () => {
        this.#showDropped();
        this.follower.update();
        afterFrame();
      },
    });
    this.#show();
  }

  /** Whether the thinking is over: the answer began, or the stream ended. */
  get ended() {
    return this.#answered || !this.#live();
  }

  /** @param {ReasoningChanges} change */
  change(change) {
    if (change.type === "reasoning-reset") {
      this.#pieces = 0;
      this.#dropped = change.dropped;
      if (!change.text && change.dropped === 0) {
        // A new generation, or one that has no reasoning: no section, and the reader's
        // choice was about the one before.
        this.el.remove();
        this.#chosen = false;
        this.#tokens = null;
      } else {
        this.#attach();
      }
      this.#feed.change({ type: "reset", text: change.text, rows: [], dropped: change.dropped });
    } else if (change.type === "reasoning") {
      this.#attach();
      this.#pieces += 1;
      this.#feed.change({ type: "append", text: change.text, rows: [] });
    } else {
      this.#dropped = change.dropped;
      this.#feed.change({ type: "trim", units: change.units, dropped: change.dropped });
    }
    this.#show();
  }

  /**
   * Whether the answer began. When it does, the section closes, unless the reader chose.
   * @param {boolean} answered
   */
  answer(answered) {
    if (answered === this.#answered) return;
    this.#answered = answered;
    if (answered && !this.#chosen) this.el.open = false;
    this.#show();
    this.#feed.request(); // the caret goes
  }

  /**
   * The kernel's count of reasoning pieces (`stats.reasoning_tokens`), if it sends one.
   * @param {number | undefined} tokens
   */
  tokens(tokens) {
    if (typeof tokens !== "number" || tokens === this.#tokens) return;
    this.#tokens = tokens;
    this.#show();
  }

  /** The stream's status changed: thinking may have ended with it. */
  update() {
    this.#show();
    this.#feed.request();
  }

  dispose() {
    this.follower.dispose();
  }

  #attach() {
    if (this.el.parentNode === this.#parent) return;
    // Open while the model thinks; a view that arrives after the answer began (a
    // snapshot) finds it closed.
    this.el.open = !this.#answered;
    this.#parent.insertBefore(this.el, this.#before);
  }

  #show() {
    const ended = this.ended;
    const tokens = Math.max(this.#tokens ?? 0, this.#pieces) || null;
    const label = thinkingLabel(tokens, ended);
    if (label === this.#title.textContent) return; // most pieces change nothing here
    this.el.dataset.state = ended ? "done" : "thinking";
    this.el.dataset.tokens = String(tokens ?? 0);
    this.#title.textContent = label;
  }

  // In the frame that removes the text, not before: the count and the text agree.
  #showDropped() {
    if (this.#dropped === this.#shownDropped) return;
    this.#shownDropped = this.#dropped;
    this.#notice.hidden = this.#dropped === 0;
    this.#notice.textContent = droppedNotice(this.#dropped, null);
  }
}
