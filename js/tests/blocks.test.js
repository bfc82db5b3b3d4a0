// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BlockSplitter, CODE_CHUNK, TAIL_LIMIT } from "../blocks.js";
import { createRenderer } from "../markdown.js";
import { makeWindow } from "./dom.js";

const { render } = createRenderer(makeWindow());

/** @param {DocumentFragment} fragment */
function html(fragment) {
  const div = fragment.ownerDocument.createElement("div");
  div.append(fragment);
  return div.innerHTML;
}

/**
 * Feed `source` to a splitter in pieces of the given sizes (cycled).
 * @param {string} source
 * @param {number[]} sizes
 */
function split(source, sizes) {
  const splitter = new BlockSplitter();
  /** @type {import("../blocks.js").Block[]} */
  const blocks = [];
  for (let at = 0, i = 0; at < source.length; i += 1) {
    const size = sizes[i % sizes.length];
    blocks.push(...splitter.push(source.slice(at, at + size)));
    at += size;
  }
  return { blocks, tail: splitter.tail, splitter };
}

const DOCUMENT = [
  "# Title",
  "",
  "A paragraph with **bold**, `code` and a [link](https://example.com).",
  "It goes on over two lines.",
  "",
  "- one",
  "- two",
  "",
  "  continued inside *two*",
  "",
  "1. first",
  "2. second",
  "",
  "```python",
  "def f(x):",
  "",
  "    return x + 1",
  "```",
  "After the code.",
  "",
  "> a quote",
  "",
  "| a | b |",
  "|---|---|",
  "| 1 | 2 |",
  "",
  "    indented code",
  "",
  "    more of it",
  "",
  "The end.",
  "",
].join("\n");

describe("BlockSplitter", () => {
  it("settled blocks and the tail are the source, whatever the chunking", () => {
    for (const sizes of [[1], [3, 7], [64], [DOCUMENT.length]]) {
      const { blocks, tail } = split(DOCUMENT, sizes);
      assert.equal(blocks.map((b) => b.source).join("") + tail, DOCUMENT, `sizes ${sizes}`);
    }
  });

  it("cuts the same blocks whatever the chunking", () => {
    const whole = split(DOCUMENT, [DOCUMENT.length]).blocks.map((b) => b.source);
    for (const sizes of [[1], [2, 5, 11]]) {
      assert.deepEqual(split(DOCUMENT, sizes).blocks.map((b) => b.source), whole);
    }
  });

  it("renders block by block exactly as the whole document renders", () => {
    const { blocks, tail } = split(DOCUMENT, [5]);
    const pieces = [...blocks.map((b) => b.source), tail].map((s) => html(render(s)));
    assert.equal(pieces.join(""), html(render(DOCUMENT)));
    assert.ok(blocks.length >= 8, `only ${blocks.length} blocks`);
  });

  it("never cuts inside a code fence or an indented continuation", () => {
    const { blocks } = split(DOCUMENT, [1]);
    const fence = blocks.find((b) => b.source.startsWith("```python"));
    assert.equal(fence?.source, "```python\ndef f(x):\n\n    return x + 1\n```\n");
    assert.ok(blocks.some((b) => b.source === "- one\n- two\n\n  continued inside *two*\n\n"));
    assert.ok(blocks.some((b) => b.source.endsWith("    indented code\n\n    more of it\n\n")));
  });

  it("cuts a long open code fence into pieces that each render as code", () => {
    const line = "x = 1  # some code\n";
    const body = line.repeat(Math.ceil((3 * CODE_CHUNK) / line.length));
    const { blocks, splitter } = split(`Intro\n\n\`\`\`python\n${body}`, [100]);
    const code = blocks.filter((b) => b.source.startsWith("```python"));
    assert.ok(code.length >= 2, `${code.length} pieces`);
    assert.deepEqual(code.map((b) => b.continues), [false, ...code.slice(1).map(() => true)]);
    for (const block of code) {
      assert.ok(block.source.endsWith("```\n"));
      const rendered = render(block.source);
      assert.equal(rendered.children.length, 1);
      assert.equal(rendered.firstElementChild?.tagName, "PRE");
    }
    assert.equal(splitter.tailContinues, true);
    assert.ok(splitter.tail.startsWith("```python\n"));
    // The code itself survives the cuts: pieces without their fences are the body.
    const inner = [...code.map((b) => b.source), splitter.tail].map((s) =>
      s.replace(/^```python\n/, "").replace(/```\n$/, ""),
    );
    assert.equal(inner.join(""), body);
  });

  it("bounds the tail of text with no blank lines", () => {
    const line = "a line of a very long paragraph\n";
    const { tail, blocks } = split(line.repeat(2000), [97]);
    assert.ok(tail.length <= TAIL_LIMIT + 97, `tail of ${tail.length}`);
    assert.ok(blocks.length > 0);
  });

  it("a backtick line with backticks in its info string is not a fence", () => {
    const { blocks, splitter } = split("```not`a fence\n\npara\n", [100]);
    assert.deepEqual(blocks.map((b) => b.source), ["```not`a fence\n\n"]);
    assert.equal(splitter.tail, "para\n");
  });
});
