// @ts-check
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRenderer } from "../markdown.js";
import { makeWindow } from "./dom.js";

const window = makeWindow();
const { render } = createRenderer(window);

/**
 * @param {string} source
 * @param {import("../markdown.js").RenderOptions} [options]
 */
function toDiv(source, options) {
  const div = window.document.createElement("div");
  div.append(render(source, options));
  return div;
}

/** Every attribute of every element, as "tag attr=value" strings. */
function attributes(/** @type {Element} */ root) {
  return [...root.querySelectorAll("*")].flatMap((el) =>
    [...el.attributes].map((a) => `${el.tagName.toLowerCase()} ${a.name}=${a.value}`),
  );
}

const PAYLOADS = [
  "<script>window.pwned = 1</script>",
  '<img src="x" onerror="window.pwned = 1">',
  '<iframe src="https://evil.example/"></iframe>',
  "[click](javascript:window.pwned=1)",
  "[click](JAVASCRIPT:window.pwned=1)",
  "[click](  javascript:window.pwned=1)",
  "[click](vbscript:msgbox)",
  "[click](data:text/html;base64,PHNjcmlwdD4=)",
  "<javascript:window.pwned=1>",
  '<a href="javascript:window.pwned=1">x</a>',
  "![x](javascript:window.pwned=1)",
  '<svg onload="window.pwned=1"></svg>',
  "[ref]\n\n[ref]: javascript:window.pwned=1",
];

describe("markdown rendering of untrusted text", () => {
  for (const payload of PAYLOADS) {
    it(`neutralizes ${JSON.stringify(payload)}`, () => {
      const div = toDiv(payload);
      assert.equal(div.querySelector("script, iframe, svg, object, embed, form"), null);
      for (const attribute of attributes(div)) {
        assert.doesNotMatch(attribute, /^\S+ on/i, "an event handler survived");
        assert.doesNotMatch(attribute, /javascript:|vbscript:|data:text/i);
      }
    });
  }

  it("shows raw HTML as text", () => {
    const div = toDiv("<b>not bold</b> <script>x()</script>");
    assert.equal(div.querySelector("b"), null);
    assert.equal(div.textContent?.trim(), "<b>not bold</b> <script>x()</script>");
  });

  it("keeps http, https and mailto links, opening them in a new tab without referrer", () => {
    const div = toDiv("[a](https://a.example/x) [b](http://b.example) [c](mailto:c@example.com)");
    const links = [...div.querySelectorAll("a")];
    assert.deepEqual(
      links.map((a) => a.getAttribute("href")),
      ["https://a.example/x", "http://b.example", "mailto:c@example.com"],
    );
    for (const a of links) {
      assert.equal(a.getAttribute("target"), "_blank");
      assert.equal(a.getAttribute("rel"), "noopener noreferrer nofollow");
    }
  });

  it("drops relative and other-scheme links to text", () => {
    const div = toDiv("[a](/api/contents) [b](file:///etc/passwd) [c](#top)");
    assert.equal(div.querySelectorAll("a[href]").length, 0);
  });

  it("blocks remote images unless allowed, showing alt text and address", () => {
    const source = "![chart](https://img.example/c.png)";
    const blocked = toDiv(source);
    assert.equal(blocked.querySelector("img"), null);
    const span = blocked.querySelector(".sse-widget-image-blocked");
    assert.equal(span?.textContent, "[image: chart]");
    assert.match(span?.getAttribute("title") ?? "", /https:\/\/img\.example\/c\.png/);

    const allowed = toDiv(source, { allowRemoteImages: true }).querySelector("img");
    assert.equal(allowed?.getAttribute("src"), "https://img.example/c.png");
    assert.equal(allowed?.getAttribute("referrerpolicy"), "no-referrer");
  });

  it("shows inline data: raster images", () => {
    const src = "data:image/png;base64,iVBORw0KGgo=";
    assert.equal(toDiv(`![dot](${src})`).querySelector("img")?.getAttribute("src"), src);
  });

  it("highlights code in known languages and escapes the rest", () => {
    const div = toDiv("```python\ndef f():\n    return 'x'\n```\n\n```nope\n<b>hi</b>\n```");
    const [python, unknown] = div.querySelectorAll("pre code");
    assert.equal(python.className, "language-python");
    assert.ok(python.querySelector(".hljs-keyword"), "no keyword span");
    assert.equal(python.textContent, "def f():\n    return 'x'\n");
    assert.equal(unknown.querySelector("b"), null);
    assert.equal(unknown.textContent, "<b>hi</b>\n");
  });

  it("renders tables, lists and emphasis", () => {
    const div = toDiv("| a | b |\n|---|---|\n| 1 | 2 |\n\n- *x*\n- **y**\n");
    assert.equal(div.querySelectorAll("td").length, 2);
    assert.equal(div.querySelectorAll("li").length, 2);
    assert.equal(div.querySelector("em")?.textContent, "x");
  });
});

describe("renderBlocks", () => {
  const { renderBlocks } = createRenderer(window);
  const SOURCES = [
    "# Title\n\n",
    "Text with </div> and <div> in it, and <script>window.pwned = 1</script>.\n\n",
    "```python\ndef f():\n    pass\n```\n",
    "![remote](https://img.example/i.png) and [a link](javascript:alert(1))\n",
  ];

  it("gives one element per source, each what render() gives for it alone", () => {
    const blocks = renderBlocks(SOURCES);
    assert.equal(blocks.length, SOURCES.length);
    blocks.forEach((block, index) => {
      assert.equal(block.innerHTML, toDiv(SOURCES[index]).innerHTML);
    });
    assert.equal(blocks[1].querySelector("script"), null);
    assert.match(blocks[1].textContent ?? "", /<\/div> and <div>/);
    assert.equal(blocks[3].querySelector("img"), null);
    assert.equal(blocks[3].querySelector("a"), null);
  });

  it("gives nothing for no sources", () => {
    assert.deepEqual(renderBlocks([]), []);
  });
});
