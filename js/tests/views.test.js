// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRenderer } from "../markdown.js";
import {
  EventsView, Feed, FRAME_CHARS, MarkdownView, SEAL_CHARS, TextView, innermostLast, splitPoint,
} from "../views.js";
import { makeWindow } from "./dom.js";

const window = makeWindow();
const { document } = window;

/** A Feed driven by hand: `step()` runs one frame. */
function manualFeed(/** @type {import("../views.js").View} */ view, live = () => true) {
  /** @type {(() => void)[]} */
  const queue = [];
  const feed = new Feed(view, (callback) => queue.push(callback), live);
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
});

describe("MarkdownView", () => {
  it("renders settled blocks once and the tail on commit, with a caret while live", () => {
    const { render } = createRenderer(window);
    /** @type {string[]} */
    const rendered = [];
    const counting = (/** @type {string} */ source) => {
      rendered.push(source);
      return render(source);
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
  it("spreads a long catch-up over frames of at most FRAME_CHARS each", () => {
    const view = new TextView(document);
    /** @type {number[]} */
    const written = [];
    const write = view.write.bind(view);
    view.write = (text) => {
      written.push(text.length);
      write(text);
    };
    const { feed, step, frames } = manualFeed(view);
    const text = "abc\n".repeat(Math.ceil((3.5 * FRAME_CHARS) / 4));
    feed.change({ type: "reset", text, rows: [] });
    let count = 0;
    while (frames() > 0) {
      step();
      count += 1;
    }
    assert.equal(count, 4);
    assert.ok(written.every((n) => n <= FRAME_CHARS));
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
    const { render } = createRenderer(window);
    const view = new MarkdownView(document, render, () => ({}));
    view.write("Intro\n\n```python\n" + "x = 1\n".repeat(3000));
    view.commit(true);
    const pieces = [...view.el.children];
    const continuing = pieces.filter((el) => el.classList.contains("sse-widget-continues"));
    assert.ok(continuing.length >= 3, `${continuing.length} continuing pieces`);
    for (const piece of continuing) {
      assert.ok(piece.previousElementSibling?.classList.contains("sse-widget-continued"));
    }
    assert.equal(pieces[0].classList.contains("sse-widget-continued"), false);
  });
});
