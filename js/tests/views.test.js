// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BlockSplitter, CODE_CHUNK } from "../blocks.js";
import { createRenderer } from "../markdown.js";
import { StreamStore, isTextChange } from "../store.js";
import {
  EventsView, Feed, FRAME_BUDGET_MS, LONG_LINE_CHARS, MarkdownView, SEAL_CHARS, SECTION_CHARS, SLICE_CHARS,
  SharedFrame, TextView, innermostLast, splitPoint, streamChars,
} from "../views.js";
import { lastLineEnd, lastLineStart } from "../text.js";
import { flowText, makeWindow } from "./dom.js";
import { FakeKernel, random } from "./kernel.js";

const window = makeWindow();
const { document } = window;

/**
 * A Feed driven by hand: `step()` runs one frame; `clock` is the time it reads.
 * @param {import("../views.js").View} view
 * @param {{ live?: () => boolean, clock?: () => number, afterFrame?: () => void,
 *           source?: () => string }} [options]
 */
function manualFeed(view, {
  live = () => true,
  clock = () => 0,
  afterFrame = () => {},
  source = () => assert.fail("the feed drew the view again from the source"),
} = {}) {
  /** @type {(() => void)[]} */
  const queue = [];
  const schedule = (/** @type {() => void} */ callback) => queue.push(callback);
  const feed = new Feed(view, { schedule, live, clock, afterFrame, source });
  return {
    feed,
    frames: () => queue.length,
    step() {
      const callback = queue.shift();
      assert.ok(callback, "no frame was requested");
      callback();
    },
    /** Run frames until none is asked for. */
    drain() {
      while (queue.length > 0) /** @type {() => void} */ (queue.shift())();
    },
  };
}

/**
 * A bounded stream as in the widget: a kernel keeping at most `maxChars`, a store, a
 * feed and `view`; frames run by hand. Counts the view's resets.
 * @param {import("../views.js").View} view
 * @param {number} maxChars
 */
function boundedStream(view, maxChars) {
  const kernel = new FakeKernel(maxChars);
  const resets = { count: 0 };
  const reset = view.reset.bind(view);
  view.reset = () => {
    resets.count += 1;
    reset();
  };
  /** @type {StreamStore} */
  const store = new StreamStore({
    requestSync: () => assert.fail("asked for a snapshot"),
    onChange: (change) => isTextChange(change) && feed.change(change),
  });
  const { feed, step, frames, drain } = manualFeed(view, { source: () => store.text });
  return {
    kernel, store, resets, step, frames, drain,
    /** @param {string} text */
    send: (text) => store.receive(kernel.delta(text)),
  };
}

/**
 * Split `text` into deltas of 1 to `most` code points (the kernel never splits one).
 * @param {string} text
 * @param {() => number} rand
 * @param {number} most
 */
function deltas(text, rand, most) {
  const points = [...text];
  const out = [];
  for (let at = 0; at < points.length; ) {
    const n = 1 + Math.floor(rand() * most);
    out.push(points.slice(at, at + n).join(""));
    at += n;
  }
  return out;
}

/** The number each paragraph's text starts with ("Paragraph 12 ..."), in order. @param {Element} el */
const paragraphNumbers = (el) => [...el.querySelectorAll("p")].map((p) => Number(p.textContent?.split(" ")[1]));

describe("TextView", () => {
  it("shows exactly the text, in blocks of whole lines", () => {
    const view = new TextView(document);
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${"·".repeat(i % 17)}\n`);
    const text = lines.join("") + "no line end yet";
    for (let at = 0; at < text.length; at += 37) view.write(text.slice(at, at + 37));
    assert.equal(flowText(view.el), text);
    const blocks = [...view.el.querySelectorAll(".sse-widget-block")];
    assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
    for (const block of blocks) {
      // Whole lines, the last line feed left to the block's end (no cut the stream did not send).
      assert.ok(!block.classList.contains("sse-widget-cut"));
      assert.ok((block.textContent?.length ?? 0) <= SEAL_CHARS + 37);
    }
    assert.ok(view.el.classList.contains("sse-widget-flow")); // where the stylesheet adds the break
    view.reset();
    assert.equal(flowText(view.el), "");
  });

  it("keeps the last line in the tail with its line feed, however much came at once", () => {
    const view = new TextView(document);
    const text = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join("");
    view.write(text); // one write, far past SEAL_CHARS, ending at a line end
    assert.ok(view.el.querySelectorAll(".sse-widget-block").length >= 1);
    assert.equal(view.el.querySelector(".sse-widget-tail")?.textContent, "line 299\n");
    assert.equal(flowText(view.el), text);
  });

  it("starts a block with a blank line rather than ending one in it (copying keeps it)", () => {
    const view = new TextView(document);
    const text = `${"a".repeat(SEAL_CHARS)}\n\n\nnext`;
    view.write(text);
    const [block] = view.el.querySelectorAll(".sse-widget-block");
    assert.equal(block.textContent, "a".repeat(SEAL_CHARS));
    assert.equal(view.el.querySelector(".sse-widget-tail")?.textContent, "\n\nnext");
    assert.equal(flowText(view.el), text);
  });

  it("ends blocks at a line feed that follows text, keeping the last line in the tail", () => {
    assert.equal(lastLineEnd("a\nb\nc"), 3);
    assert.equal(lastLineEnd("a\nb\n"), 1); // the last line keeps its line feed
    assert.equal(lastLineEnd("a\n\n\nb"), 1); // not after a blank line
    assert.equal(lastLineEnd("\n\n\nb"), -1);
    assert.equal(lastLineEnd("one line"), -1);
    const blank = "\n".repeat(LONG_LINE_CHARS + 2);
    assert.equal(lastLineEnd(blank), blank.length - 2); // only blank lines: ends in one
  });

  /** @param {Element} el */
  const pieces = (el) => [...el.querySelectorAll(".sse-widget-piece")].map((p) => p.textContent ?? "");

  it("keeps a line that never ends in pieces of the tail; not laid out, they end at a space", () => {
    const view = new TextView(document);
    const words = Array.from({ length: 5000 }, (_, i) => ` t${i}`).join("");
    for (let at = 0; at < words.length; at += 180) view.write(words.slice(at, at + 180));
    assert.equal(flowText(view.el), words);
    assert.equal(view.el.querySelectorAll(".sse-widget-block").length, 0); // one line: no block, no break
    const cut = pieces(view.el);
    assert.ok(cut.length >= Math.floor(words.length / (LONG_LINE_CHARS + 180)), `${cut.length}`);
    for (const piece of cut) {
      assert.ok(piece.endsWith(" "), JSON.stringify(piece.slice(-10)));
      assert.ok(piece.length <= LONG_LINE_CHARS + 180, `${piece.length}`);
    }
    const tail = /** @type {Element} */ (view.el.querySelector(".sse-widget-tail"));
    assert.ok((tail.lastChild?.previousSibling?.textContent?.length ?? 0) <= LONG_LINE_CHARS + 180);
    view.reset();
    assert.equal(flowText(view.el), "");
    assert.equal(pieces(view.el).length, 0);
  });

  it("cuts a piece of a line without spaces anywhere but inside a surrogate pair", () => {
    const view = new TextView(document);
    const text = "x".repeat(LONG_LINE_CHARS) + "😀".repeat(10);
    view.write(text.slice(0, LONG_LINE_CHARS + 1)); // ends inside the first pair
    view.write(text.slice(LONG_LINE_CHARS + 1));
    assert.deepEqual(pieces(view.el), ["x".repeat(LONG_LINE_CHARS)]);
    assert.equal(flowText(view.el), text);
  });

  it("settles a long line where it stands when it ends: its tail becomes the block", () => {
    const view = new TextView(document);
    const long = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}\n`).join("");
    const text = `${long}\n${lines}${long}\n${lines}end`;
    const tail = view.el.querySelector(".sse-widget-tail");
    for (let at = 0; at < text.length; at += 500) view.write(text.slice(at, at + 500));
    assert.equal(flowText(view.el), text);
    // The first long line's block is the tail it grew in, pieces and all, not a copy.
    assert.ok(tail?.classList.contains("sse-widget-block"));
    assert.equal(`${tail?.textContent}`, long);
    assert.ok((tail?.querySelectorAll(".sse-widget-piece").length ?? 0) >= 3);
    // In order: the long line, the sections of short lines, the next long line, ..., the tail.
    const kinds = [...view.el.children].map((el) => el.className.replace("sse-widget-", ""));
    assert.equal(kinds[0], "block");
    assert.equal(kinds.at(-1), "tail");
    assert.ok(kinds.filter((k) => k === "block").length === 2, kinds.join(" "));
    assert.equal(view.el.querySelectorAll(".sse-widget-tail").length, 1);
    view.reset();
    assert.deepEqual([...view.el.children].map((el) => el.className), ["sse-widget-tail"]);
    view.write("again");
    assert.equal(flowText(view.el), "again");
  });

  it("cuts a piece where the line wraps when the page lays it out, and joins pieces when the width changes", (t) => {
    // A fake layout: 80 characters to a line, 16 px apart, as wide as `width`.
    const perLine = 80;
    const proto = /** @type {any} */ (window.Range.prototype);
    proto.getBoundingClientRect = function () { // jsdom has none
      const line = Math.floor(this.startOffset / perLine);
      return { top: 16 * line, bottom: 16 * line + 16, height: 16 };
    };
    t.after(() => delete proto.getBoundingClientRect);
    /** @type {() => void} */
    let resized = () => {};
    const host = /** @type {any} */ (window);
    host.ResizeObserver = class {
      /** @param {() => void} callback */
      constructor(callback) { resized = callback; }
      observe() {}
    };
    t.after(() => delete host.ResizeObserver);
    const view = new TextView(document);
    let width = 640;
    Object.defineProperty(view.el, "clientWidth", { get: () => width });
    const text = "0123456789".repeat(1200);
    for (let at = 0; at < text.length; at += 300) view.write(text.slice(at, at + 300));
    const cut = pieces(view.el);
    assert.ok(cut.length >= 2, `${cut.length}`);
    for (const piece of cut) assert.equal(piece.length % perLine, 0, `${piece.length}`); // whole wrapped lines
    const shown = flowText(view.el);
    resized(); // same width: nothing changes
    assert.deepEqual(pieces(view.el), cut);
    width = 500;
    resized();
    assert.equal(pieces(view.el).length, 0);
    assert.equal(flowText(view.el), shown);
    view.write("more");
    assert.ok(pieces(view.el).length === 1, "the next write cuts again");
    assert.equal(flowText(view.el), `${shown}more`);
  });
});

describe("lastLineStart", () => {
  /**
   * A range over `text` whose boxes come from `lineOf(offset)`: 20 px lines, glyph boxes
   * 14 px high, except `tall` offsets (an emoji from a fallback font), 24 px.
   * @param {(at: number) => number} lineOf
   * @param {Set<number>} [tall]
   */
  function fakeRange(lineOf, tall = new Set()) {
    let start = 0;
    return /** @type {Range} */ (/** @type {unknown} */ ({
      setStart: (/** @type {Node} */ _node, /** @type {number} */ at) => { start = at; },
      setEnd: () => {},
      getBoundingClientRect: () => {
        const top = 20 * lineOf(start) + (tall.has(start) ? -2 : 3);
        const height = tall.has(start) ? 24 : 14;
        return { top, bottom: top + height, height };
      },
    }));
  }

  it("finds the first character of the last wrapped line", () => {
    const text = document.createTextNode("a".repeat(1000));
    assert.equal(lastLineStart(text, fakeRange((at) => Math.floor(at / 70))), 980);
    assert.equal(lastLineStart(text, fakeRange(() => 0)), 0); // one line
    const tall = new Set([985, 999, 500]);
    assert.equal(lastLineStart(text, fakeRange((at) => Math.floor(at / 70), tall)), 980);
  });

  it("says -1 when the text is not laid out or ranges cannot be measured", () => {
    const text = document.createTextNode("a".repeat(100));
    const hidden = /** @type {Range} */ (/** @type {unknown} */ ({
      setStart() {}, setEnd() {}, getBoundingClientRect: () => ({ top: 0, bottom: 0, height: 0 }),
    }));
    assert.equal(lastLineStart(text, hidden), -1);
    assert.equal(lastLineStart(text, document.createRange()), -1); // jsdom: no range boxes
  });

  it("never starts a line inside a surrogate pair", () => {
    const text = document.createTextNode("😀".repeat(100));
    // Lines of 15 pairs; a low half measures on the line of its pair.
    const at = lastLineStart(text, fakeRange((unit) => Math.floor(Math.floor(unit / 2) / 15)));
    assert.equal(at, 2 * 90);
  });
});

describe("sections of settled blocks", () => {
  /** @param {Element} el */
  const sections = (el) => [...el.querySelectorAll(":scope > .sse-widget-section")];

  it("gathers a long text's blocks in a few sections of about SECTION_CHARS", () => {
    const view = new TextView(document);
    const text = "a line of text, long enough to count\n".repeat(Math.ceil((5 * SECTION_CHARS) / 37));
    for (let at = 0; at < text.length; at += 1000) view.write(text.slice(at, at + 1000));
    const found = sections(view.el);
    assert.ok(found.length >= 4 && found.length <= 6, `${found.length} sections`);
    for (const section of found.slice(0, -1)) {
      const chars = section.textContent?.length ?? 0;
      assert.ok(chars >= SECTION_CHARS && chars < SECTION_CHARS + 2 * SEAL_CHARS, `${chars}`);
    }
    assert.equal(view.el.lastElementChild?.className, "sse-widget-tail");
    assert.equal(flowText(view.el), text);
    view.reset();
    assert.equal(sections(view.el).length, 0);
  });

  it("holds a long markdown answer's blocks in order, the tail last", () => {
    const view = new MarkdownView(document, createRenderer(window), () => ({}));
    const paragraphs = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} ${"word ".repeat(40)}`);
    view.write(paragraphs.join("\n\n"));
    view.commit(false);
    assert.ok(sections(view.el).length >= 2, `${sections(view.el).length} sections`);
    const shown = [...view.el.querySelectorAll("p")].map((p) => p.textContent?.split(" ")[1]);
    assert.deepEqual(shown, paragraphs.map((_, i) => String(i)));
    assert.equal(view.el.lastElementChild?.className, "sse-widget-tail");
  });
});

describe("MarkdownView", () => {
  it("renders settled blocks once and the tail on commit, with a caret while live", () => {
    const renderer = createRenderer(window);
    /** @type {string[]} */
    const rendered = [];
    const counting = {
      render: (/** @type {string} */ source) => {
        rendered.push(source);
        return renderer.render(source);
      },
      renderBlocks: (/** @type {string[]} */ sources) => {
        rendered.push(...sources);
        return renderer.renderBlocks(sources);
      },
    };
    const view = new MarkdownView(document, counting, () => ({}));
    view.write("# Title\n\nFirst para");
    view.commit(true);
    view.write("graph.\n\nSecond\n");
    view.commit(true);
    view.write("line");
    view.commit(true);
    assert.equal(view.el.querySelector("h1")?.textContent, "Title");
    assert.equal(view.el.querySelectorAll(".sse-widget-block").length, 2);
    assert.equal(view.el.querySelector(".sse-widget-caret")?.parentElement?.tagName, "P");
    // Settled blocks are rendered once each; the tail once per commit.
    assert.deepEqual(rendered, [
      "# Title\n\nFirst para", // one tail: the cut waits for the next complete line
      "# Title\n\n",
      "First paragraph.\n\n",
      "Second\n",
      "Second\nline",
    ]);
    view.commit(false);
    assert.equal(view.el.querySelector(".sse-widget-caret"), null);
    assert.equal(view.el.textContent, "Title\nFirst paragraph.\nSecond\nline\n");
  });
});

describe("EventsView", () => {
  it("keeps the newest rows up to its limit", () => {
    const view = new EventsView(document, 3);
    const row = (/** @type {number} */ t) => ({ t, event: "message", id: `${t}`, data: `d${t}` });
    view.addRows([row(1), row(2)]);
    view.addRows([row(3), row(4), row(5)]);
    const cells = [...view.el.querySelectorAll("tbody tr")].map((tr) => tr.textContent);
    assert.deepEqual(cells, ["3message3d3", "4message4d4", "5message5d5"]);
  });
});

describe("Feed", () => {
  /**
   * A text view whose every write takes `cost` ms of a fake clock; records the writes.
   * @param {number} cost
   */
  function timedView(cost) {
    const view = new TextView(document);
    let now = 0;
    /** @type {number[][]} */
    const frames = [];
    const write = view.write.bind(view);
    view.write = (text) => {
      frames[frames.length - 1].push(text.length);
      now += cost;
      write(text);
    };
    const commit = view.commit.bind(view);
    view.commit = (live) => {
      frames.push([]);
      commit(live);
    };
    frames.push([]);
    return { view, frames, clock: () => now, advance: (/** @type {number} */ ms) => (now += ms) };
  }

  it("spreads a long catch-up over frames of bounded time, in bounded slices", () => {
    const { view, frames, clock } = timedView(3);
    const { feed, step, frames: queued } = manualFeed(view, { clock });
    const text = "abc\n".repeat(Math.ceil((10.5 * SLICE_CHARS) / 4));
    feed.change({ type: "reset", text, rows: [], dropped: 0 });
    while (queued() > 0) step();
    frames.pop(); // opened by the last commit
    const perFrame = Math.ceil(FRAME_BUDGET_MS / 3);
    assert.deepEqual(
      frames.map((writes) => writes.length),
      [perFrame, perFrame, perFrame, 11 - 3 * perFrame],
    );
    assert.ok(frames.flat().every((n) => n <= SLICE_CHARS));
    assert.equal(flowText(view.el), text);
  });

  it("writes one slice a frame on a machine slower than the budget", () => {
    const { view, frames, clock } = timedView(5 * FRAME_BUDGET_MS);
    const { feed, step, frames: queued } = manualFeed(view, { clock });
    const text = "x".repeat(3 * SLICE_CHARS);
    feed.change({ type: "append", text, rows: [] });
    while (queued() > 0) step();
    frames.pop();
    assert.deepEqual(frames, [[SLICE_CHARS], [SLICE_CHARS], [SLICE_CHARS]]);
    assert.equal(flowText(view.el), text);
  });

  it("takes the layout a frame forced out of the next frame's writing", () => {
    const { view, frames, clock, advance } = timedView(1);
    // The forced layout costs 2 ms per slice the frame wrote (as laying out new text does).
    const afterFrame = () => advance(2 * frames[frames.length - 2].length);
    const { feed, step, frames: queued } = manualFeed(view, { clock, afterFrame });
    const text = "abc\n".repeat(8 * SLICE_CHARS);
    feed.change({ type: "append", text, rows: [] });
    for (let i = 0; i < 5; i += 1) step();
    const written = frames.slice(0, 5).map((writes) => writes.length);
    // 8 slices (8 ms), then 16 ms of layout leaves nothing but the one slice a frame
    // always writes; 2 ms of layout leave 6 ms: six slices, then 12 ms of layout...
    assert.deepEqual(written, [FRAME_BUDGET_MS, 1, FRAME_BUDGET_MS - 2, 1, FRAME_BUDGET_MS - 2]);
    while (queued() > 0) step();
    assert.equal(flowText(view.el), text);
  });

  it("a reset drops what an earlier frame had not written yet", () => {
    const view = new TextView(document);
    const { feed, step } = manualFeed(view);
    feed.change({ type: "append", text: "old", rows: [] });
    feed.change({ type: "reset", text: "new", rows: [], dropped: 0 });
    feed.change({ type: "append", text: "er", rows: [] });
    step();
    assert.equal(flowText(view.el), "newer");
  });

  it("never splits a surrogate pair", () => {
    assert.equal(splitPoint("a😀b", 2), 1);
    assert.equal(splitPoint("a😀b", 3), 3);
  });
});

describe("SharedFrame", () => {
  /**
   * Feeds of text views whose every write takes `cost` ms of one fake clock, in frames
   * of one SharedFrame run by hand; records each frame's writes by feed.
   * @param {number} count
   * @param {number} cost
   */
  function sharedFeeds(count, cost) {
    let now = 0;
    const clock = () => now;
    /** @type {(() => void)[]} */
    const queue = [];
    const frame = new SharedFrame((callback) => queue.push(callback), clock);
    /** @type {Map<number, number[][]>} frame number to each feed's slice sizes */
    const writes = new Map();
    let frameNumber = 0;
    const feeds = Array.from({ length: count }, (_, index) => {
      const view = new TextView(document);
      const write = view.write.bind(view);
      view.write = (text) => {
        if (!writes.has(frameNumber)) writes.set(frameNumber, Array.from({ length: count }, () => []));
        writes.get(frameNumber)?.[index].push(text.length);
        now += cost;
        write(text);
      };
      const feed = new Feed(view, {
        schedule: (callback) => frame.request(callback),
        spent: () => frame.spent(),
        live: () => true,
        source: () => "",
        clock,
      });
      return { view, feed };
    });
    return {
      feeds,
      frame,
      writes,
      run() {
        while (queue.length > 0) {
          frameNumber += 1;
          /** @type {() => void} */ (queue.shift())();
        }
      },
    };
  }

  it("runs its feeds in one frame, each writing only in what the ones before it left", () => {
    const { feeds, writes, run } = sharedFeeds(2, 3);
    const [answer, reasoning] = feeds;
    answer.feed.change({ type: "append", text: "a".repeat(6 * SLICE_CHARS), rows: [] });
    reasoning.feed.change({ type: "append", text: "r".repeat(6 * SLICE_CHARS), rows: [] });
    run();
    const perFrame = Math.ceil(FRAME_BUDGET_MS / 3); // 3 slices: 9 ms
    const counts = [...writes.values()].map((frame) => frame.map((sizes) => sizes.length));
    // The answer writes its budget; the reasoning, whose turn comes when none is left,
    // its one slice; once the answer is written, the reasoning has the frame.
    assert.deepEqual(counts, [[perFrame, 1], [perFrame, 1], [0, perFrame], [0, 1]]);
    assert.ok([...writes.values()].flat(2).every((size) => size <= SLICE_CHARS));
    assert.equal(flowText(answer.view.el).length, 6 * SLICE_CHARS);
    assert.equal(flowText(reasoning.view.el).length, 6 * SLICE_CHARS);
  });

  it("asks for one animation frame however many feeds want one", () => {
    /** @type {(() => void)[]} */
    const queue = [];
    const frame = new SharedFrame((callback) => queue.push(callback), () => 0);
    /** @type {string[]} */
    const ran = [];
    frame.request(() => ran.push("a"));
    frame.request(() => ran.push("b"));
    assert.equal(queue.length, 1);
    assert.equal(frame.spent(), 0);
    /** @type {() => void} */ (queue.shift())();
    assert.deepEqual(ran, ["a", "b"]);
    frame.request(() => ran.push("c")); // between frames: the next one
    assert.equal(queue.length, 1);
  });
});

describe("innermostLast", () => {
  /** @param {string} html */
  const place = (html) => {
    const div = document.createElement("div");
    div.innerHTML = html;
    return innermostLast(div);
  };

  it("descends into the element that ends the content", () => {
    assert.equal(place("<p>a</p>\n<p>b <em>c</em></p>\n").tagName, "EM");
    assert.equal(place("<ul><li>x</li><li>y</li></ul>").textContent, "y");
  });

  it("stops where text follows the last element", () => {
    const code = '<pre><code>def f(<span class="p">x: <span class="t">str</span>)</span></code></pre>';
    assert.equal(place(code).className, "p");
    assert.equal(place("<p>a <b>b</b> c</p>").tagName, "P");
  });
});

describe("a long code block in pieces", () => {
  it("marks each piece that another continues, so they draw as one block", () => {
    const view = new MarkdownView(document, createRenderer(window), () => ({}));
    view.write("Intro\n\n```python\n" + "x = 1\n".repeat(3000));
    view.commit(true);
    const pieces = [...view.el.querySelectorAll(".sse-widget-block, .sse-widget-tail")];
    const continuing = pieces.filter((el) => el.classList.contains("sse-widget-continues"));
    assert.ok(continuing.length >= 3, `${continuing.length} continuing pieces`);
    for (const piece of continuing) {
      assert.ok(pieces[pieces.indexOf(piece) - 1].classList.contains("sse-widget-continued"));
    }
    assert.equal(pieces[0].classList.contains("sse-widget-continued"), false);
  });
});

describe("bounded text: dropping the oldest", () => {
  /** @param {Element} el */
  const blocks = (el) => [...el.querySelectorAll(".sse-widget-block")];

  it("TextView drops whole blocks, cuts the one the cut falls in, then the tail", () => {
    const view = new TextView(document);
    const text = Array.from({ length: 600 }, (_, i) => `line ${i}\n`).join("") + "the tail";
    for (let at = 0; at < text.length; at += 100) view.write(text.slice(at, at + 100));
    // A block's text is its lines without the last line feed, which its end stands for.
    const before = blocks(view.el).map((b) => `${b.textContent ?? ""}\n`);
    assert.ok(before.length >= 2, `${before.length} blocks`);
    let dropped = before[0].length + 3;
    assert.equal(view.drop(before[0].length + 3), true);
    assert.equal(flowText(view.el), text.slice(dropped));
    assert.deepEqual(
      blocks(view.el).map((b) => `${b.textContent}\n`),
      [before[1].slice(3), ...before.slice(2)],
    );
    const settled = before.join("").length;
    view.drop(settled - dropped + 4); // every block, and 4 characters of the tail
    assert.equal(blocks(view.el).length, 0);
    assert.equal(view.el.querySelectorAll(".sse-widget-section").length, 0);
    assert.equal(flowText(view.el), text.slice(settled + 4));
    view.write(" grows\n");
    assert.equal(flowText(view.el), `${text.slice(settled + 4)} grows\n`);
  });

  /** @type {[string, (rand: () => number) => string][]} */
  const kinds = [
    ["lines", (rand) => `line ${"x".repeat(Math.floor(rand() * 90))}\n`],
    ["no line feeds", (rand) => `w${Math.floor(rand() * 1e6)} `],
    ["long lines", (rand) => "y".repeat(Math.floor(LONG_LINE_CHARS * (1 + rand()))) + (rand() < 0.5 ? "\n" : "")],
    ["emoji", (rand) => {
      const r = rand();
      return r < 0.4 ? "😀" : r < 0.5 ? "🎉" : r < 0.9 ? "é" : r < 0.95 ? " " : "\n";
    }],
  ];
  for (const [kind, piece] of kinds) {
    it(`TextView shows exactly the kept text after drops (${kind})`, () => {
      const rand = random(kind.length);
      const view = new TextView(document);
      const stream = boundedStream(view, 6000);
      let text = "";
      while (text.length < 60000) text += piece(rand);
      let checks = 0;
      for (const delta of deltas(text, rand, 700)) {
        stream.send(delta);
        if (rand() < 0.3) stream.step(); // some deltas wait: the trim then reaches pending text
        if (rand() < 0.1) {
          stream.drain();
          assert.equal(flowText(view.el), stream.store.text);
          checks += 1;
        }
      }
      stream.drain();
      assert.equal(stream.store.text, stream.kernel.text);
      assert.ok(stream.kernel.dropped > 50000, `${stream.kernel.dropped} dropped`);
      assert.equal(flowText(view.el), stream.store.text);
      assert.ok(checks > 5, `${checks} checks`);
      assert.equal(stream.resets.count, 1); // the first delta's; never a redraw
      // No pair is split: the text starts with a whole code point.
      const first = flowText(view.el).charCodeAt(0) ?? 0;
      assert.ok(!(first >= 0xdc00 && first <= 0xdfff), "starts with half a pair");
    });
  }

  it("MarkdownView drops whole blocks: what it shows starts at the first block boundary at or after the cut", () => {
    const view = new MarkdownView(document, createRenderer(window), () => ({}));
    const paragraphs = Array.from({ length: 20 }, (_, i) => `Paragraph ${i} ${"word ".repeat(i % 4 + 2)}\n\n`);
    view.write(paragraphs.join("") + "Paragraph 20 still being written");
    view.commit(true);
    /** Where each paragraph starts in the stream. */
    const starts = paragraphs.map((_, i) => paragraphs.slice(0, i).join("").length);
    assert.equal(blocks(view.el).length, 19); // paragraph 19 is in the tail until 20's line ends
    let cut = 0;
    for (const step of [starts[3], 5, paragraphs[3].length - 5, 1, 2, 0, starts[12] - starts[5] - 1]) {
      assert.equal(view.drop(step), true);
      cut += step;
      view.commit(true);
      const first = starts.findIndex((start) => start >= cut);
      const shown = paragraphNumbers(view.el);
      assert.deepEqual(shown, Array.from({ length: 21 - first }, (_, i) => first + i), `cut at ${cut}`);
      assert.equal(blocks(view.el).length, 19 - first);
    }
    // The next cut reaches the tail, which the view cannot cut.
    assert.equal(view.drop(starts[19] - cut + 1), false);
  });

  it("knows how many stream characters each block of a long code block holds", () => {
    const rand = random(7);
    const text = [
      "Intro\n\n```python\n", "x = 1\n".repeat(CODE_CHUNK / 2), "```\n\nBetween\n\n",
      "~~~~\n", "tilde line\n".repeat(CODE_CHUNK / 4), "~~~~\n\n```\n", "short\n```\n\nEnd\n\nof it",
    ].join("");
    const splitter = new BlockSplitter();
    /** @type {import("../blocks.js").Block[]} */
    const settled = [];
    for (const delta of deltas(text, rand, 500)) settled.push(...splitter.push(delta));
    assert.ok(settled.filter((block) => block.continues).length >= 4);
    let at = 0;
    settled.forEach((block, i) => {
      const next = settled[i + 1];
      const continuedBy = next ? (next.continues ? next.source : null) : (splitter.tailContinues ? splitter.tail : null);
      const chars = streamChars(block.source, block.continues, continuedBy);
      const before = block.continues ? block.source.indexOf("\n") + 1 : 0;
      assert.equal(block.source.slice(before, before + chars), text.slice(at, at + chars));
      assert.match(block.source.slice(before + chars), continuedBy ? /^(`{3,}|~{3,})\n$/ : /^$/);
      at += chars;
    });
    assert.equal(splitter.tail, text.slice(at)); // the tail continues no code block here
  });

  it("a cut that reaches markdown's live tail draws the kept text again", () => {
    const view = new MarkdownView(document, createRenderer(window), () => ({}));
    const stream = boundedStream(view, 1000);
    // No blank line: nothing settles, all of it is the tail.
    for (let i = 0; i < 150; i += 1) {
      stream.send(`line ${i} of one long paragraph\n`);
      stream.drain();
    }
    assert.ok(stream.resets.count >= 2, `${stream.resets.count} resets`);
    const fresh = new MarkdownView(document, createRenderer(window), () => ({}));
    fresh.write(stream.store.text);
    fresh.commit(true);
    assert.equal(view.el.textContent, fresh.el.textContent);
    assert.match(view.el.textContent ?? "", /^line \d+ of/);
    assert.doesNotMatch(view.el.textContent ?? "", /line 0 of/);
  });

  it("the Feed takes a trim from the text written first, then from the pending text", () => {
    const view = new TextView(document);
    const { feed, step } = manualFeed(view);
    feed.change({ type: "append", text: "written-", rows: [] });
    step();
    feed.change({ type: "append", text: "pending", rows: [] });
    feed.change({ type: "trim", units: 10, dropped: 10 }); // "written-" and "pe"
    feed.change({ type: "append", text: "!", rows: [] });
    step();
    assert.equal(flowText(view.el), "nding!");
    feed.change({ type: "append", text: " more", rows: [] });
    feed.change({ type: "trim", units: 2, dropped: 12 }); // within the written text only
    step();
    assert.equal(flowText(view.el), "ing! more");
    // After a reset, what the view had is gone anyway: the trim takes the new text.
    feed.change({ type: "reset", text: "new text", rows: [], dropped: 0 });
    feed.change({ type: "trim", units: 4, dropped: 4 });
    step();
    assert.equal(flowText(view.el), "text");
  });

  it("MarkdownView after drops: each frame shows whole blocks of the kept text", () => {
    const rand = random(3);
    const view = new MarkdownView(document, createRenderer(window), () => ({}));
    const stream = boundedStream(view, 3000);
    const paragraphs = Array.from({ length: 300 }, (_, i) => `Paragraph ${i} ${"word ".repeat(3 + (i % 20))}\n\n`);
    const text = paragraphs.join("");
    const starts = paragraphs.map((_, i) => paragraphs.slice(0, i).join("").length);
    for (const delta of deltas(text, rand, 150)) {
      stream.send(delta);
      stream.drain();
      const shown = paragraphNumbers(view.el).slice(0, -1); // the last may be half written
      if (shown.length === 0) continue;
      // The first paragraph shown starts at or after the cut; the one before it does not.
      assert.ok(starts[shown[0]] >= stream.store.dropped, `${shown[0]} shown, ${stream.store.dropped} dropped`);
      if (shown[0] > 0) assert.ok(starts[shown[0] - 1] < stream.store.dropped);
      assert.deepEqual(shown, Array.from({ length: shown.length }, (_, i) => shown[0] + i));
    }
    assert.equal(stream.resets.count, 1);
  });
});

describe("a live feed left running, with a small max_chars", () => {
  /** @param {() => number} rand */
  function markdownPiece(rand) {
    const r = rand();
    if (r < 0.5) return `A paragraph ${"with some words ".repeat(1 + Math.floor(rand() * 8))}\n\n`;
    if (r < 0.65) return `## Heading ${Math.floor(rand() * 100)}\n\n`;
    if (r < 0.8) return `- item one\n- item **two**\n- item three\n\n`;
    if (r < 0.95) return "```python\n" + "print('hello')\n".repeat(1 + Math.floor(rand() * 20)) + "```\n\n";
    return "```\n" + "a long code line\n".repeat(CODE_CHUNK / 8) + "```\n\n"; // cut in pieces
  }

  for (const kind of ["text", "markdown"]) {
    it(`keeps the DOM bounded over 2,000 deltas (${kind})`, () => {
      const rand = random(kind === "text" ? 11 : 13);
      const maxChars = 20000;
      const view = kind === "text" ? new TextView(document) : new MarkdownView(document, createRenderer(window), () => ({}));
      const stream = boundedStream(view, maxChars);
      let text = "";
      let mostBlocks = 0;
      let mostChars = 0;
      let sent = "";
      // The same deltas through a splitter of its own: where each block starts.
      const shadow = new BlockSplitter();
      /** @type {number[]} */
      const starts = [];
      let settled = 0;
      /** @param {string} delta */
      const split = (delta) => {
        const found = shadow.push(delta);
        found.forEach((block, index) => {
          const next = found[index + 1];
          const continuedBy = next ? (next.continues ? next.source : null) : (shadow.tailContinues ? shadow.tail : null);
          starts.push(settled);
          settled += streamChars(block.source, block.continues, continuedBy);
        });
      };
      for (let i = 0; i < 2000; i += 1) {
        while (text.length < 300) text += kind === "text" ? `log line ${i} ${"·".repeat(Math.floor(rand() * 80))}\n` : markdownPiece(rand);
        const n = 20 + Math.floor(rand() * 200);
        stream.send(text.slice(0, n));
        split(text.slice(0, n));
        sent += text.slice(0, n);
        text = text.slice(n);
        if (i % 5 === 0) stream.drain();
        if (i % 50 === 0) {
          stream.drain();
          const count = view.el.querySelectorAll(".sse-widget-block").length;
          if (kind === "text") {
            assert.ok(count <= Math.ceil(maxChars / (SEAL_CHARS - 100)) + 1, `${count} blocks`);
          } else {
            // Exactly the blocks that start at or after the cut.
            const kept = starts.filter((start) => start >= stream.store.dropped).length;
            assert.equal(count, kept);
            const first = view.el.querySelector(".sse-widget-block");
            assert.ok(!first?.classList.contains("sse-widget-continues"), "the first block joins one gone");
          }
          mostBlocks = Math.max(mostBlocks, count);
          mostChars = Math.max(mostChars, flowText(view.el).length ?? 0);
          assert.ok(view.el.querySelectorAll(".sse-widget-section").length <= 2);
        }
      }
      stream.drain();
      assert.ok(sent.length > 10 * maxChars, `${sent.length} sent`);
      assert.equal(stream.store.text, stream.kernel.text);
      // Unbounded, the view would hold every block ever settled.
      const everSettled = kind === "text" ? Math.floor(sent.length / SEAL_CHARS) : starts.length;
      assert.ok(mostBlocks > 0 && mostBlocks * 5 < everSettled, `${mostBlocks} blocks at most, ${everSettled} settled in all`);
      assert.ok(mostChars <= maxChars, `${mostChars} characters shown`);
      assert.ok(view.el.querySelectorAll("*").length <= 40 * mostBlocks, "elements");
      if (kind === "text") assert.equal(flowText(view.el), stream.store.text);
      assert.equal(stream.resets.count, 1, "drew the view again");
    });
  }
});
