// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRenderer } from "../markdown.js";
import {
  EventsView, Feed, FRAME_BUDGET_MS, LONG_LINE_CHARS, MarkdownView, SEAL_CHARS, SECTION_CHARS, SLICE_CHARS, TextView,
  innermostLast, splitPoint,
} from "../views.js";
import { makeWindow } from "./dom.js";

const window = makeWindow();
const { document } = window;

/**
 * A Feed driven by hand: `step()` runs one frame; `clock` is the time it reads.
 * @param {import("../views.js").View} view
 * @param {{ live?: () => boolean, clock?: () => number, afterFrame?: () => void }} [options]
 */
function manualFeed(view, { live = () => true, clock = () => 0, afterFrame = () => {} } = {}) {
  /** @type {(() => void)[]} */
  const queue = [];
  const schedule = (/** @type {() => void} */ callback) => queue.push(callback);
  const feed = new Feed(view, { schedule, live, clock, afterFrame });
  return {
    feed,
    frames: () => queue.length,
    step() {
      const callback = queue.shift();
      assert.ok(callback, "no frame was requested");
      callback();
    },
  };
}

describe("TextView", () => {
  it("shows exactly the text, in blocks that end at line ends", () => {
    const view = new TextView(document);
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${"·".repeat(i % 17)}\n`);
    const text = lines.join("") + "no line end yet";
    for (let at = 0; at < text.length; at += 37) view.write(text.slice(at, at + 37));
    assert.equal(view.el.textContent, text);
    const blocks = [...view.el.querySelectorAll(".sse-widget-block")];
    assert.ok(blocks.length >= 3, `${blocks.length} blocks`);
    for (const block of blocks) {
      assert.ok(block.textContent?.endsWith("\n"));
      assert.ok((block.textContent?.length ?? 0) <= SEAL_CHARS + 37);
    }
    view.reset();
    assert.equal(view.el.textContent, "");
  });

  it("cuts a line that never ends after a space, so the growing tail stays short", () => {
    const view = new TextView(document);
    const words = Array.from({ length: 5000 }, (_, i) => ` t${i}`).join("");
    for (let at = 0; at < words.length; at += 180) view.write(words.slice(at, at + 180));
    assert.equal(view.el.textContent, words);
    const blocks = [...view.el.querySelectorAll(".sse-widget-block")].map((b) => b.textContent ?? "");
    assert.ok(blocks.length >= Math.floor(words.length / (LONG_LINE_CHARS + 180)), `${blocks.length}`);
    for (const block of blocks) {
      assert.ok(block.endsWith(" "), JSON.stringify(block.slice(-10)));
      assert.ok(block.length <= LONG_LINE_CHARS + 180, `${block.length}`);
    }
    const tail = view.el.querySelector(".sse-widget-tail")?.textContent ?? "";
    assert.ok(tail.length <= LONG_LINE_CHARS + 180, `${tail.length}`);
  });

  it("cuts a line without spaces anywhere but inside a surrogate pair", () => {
    const view = new TextView(document);
    const text = "x".repeat(LONG_LINE_CHARS) + "😀".repeat(10);
    view.write(text.slice(0, LONG_LINE_CHARS + 1)); // ends inside the first pair
    view.write(text.slice(LONG_LINE_CHARS + 1));
    const block = view.el.querySelector(".sse-widget-block")?.textContent ?? "";
    assert.equal(block, "x".repeat(LONG_LINE_CHARS));
    assert.equal(view.el.textContent, text);
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
    assert.equal(view.el.textContent, text);
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
    feed.change({ type: "reset", text, rows: [] });
    while (queued() > 0) step();
    frames.pop(); // opened by the last commit
    const perFrame = Math.ceil(FRAME_BUDGET_MS / 3);
    assert.deepEqual(
      frames.map((writes) => writes.length),
      [perFrame, perFrame, perFrame, 11 - 3 * perFrame],
    );
    assert.ok(frames.flat().every((n) => n <= SLICE_CHARS));
    assert.equal(view.el.textContent, text);
  });

  it("writes one slice a frame on a machine slower than the budget", () => {
    const { view, frames, clock } = timedView(5 * FRAME_BUDGET_MS);
    const { feed, step, frames: queued } = manualFeed(view, { clock });
    const text = "x".repeat(3 * SLICE_CHARS);
    feed.change({ type: "append", text, rows: [] });
    while (queued() > 0) step();
    frames.pop();
    assert.deepEqual(frames, [[SLICE_CHARS], [SLICE_CHARS], [SLICE_CHARS]]);
    assert.equal(view.el.textContent, text);
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
    assert.equal(view.el.textContent, text);
  });

  it("a reset drops what an earlier frame had not written yet", () => {
    const view = new TextView(document);
    const { feed, step } = manualFeed(view);
    feed.change({ type: "append", text: "old", rows: [] });
    feed.change({ type: "reset", text: "new", rows: [] });
    feed.change({ type: "append", text: "er", rows: [] });
    step();
    assert.equal(view.el.textContent, "newer");
  });

  it("never splits a surrogate pair", () => {
    assert.equal(splitPoint("a😀b", 2), 1);
    assert.equal(splitPoint("a😀b", 3), 3);
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
