// @ts-check
/**
 * Untrusted markdown to safe DOM: markdown-it (raw HTML off), highlight.js for code,
 * DOMPurify over what comes out.
 *
 * Stream content is untrusted (a model can be prompted into writing anything):
 * - raw HTML in the source is shown as text (`html: false`), and the produced HTML is
 *   sanitized again by DOMPurify, so no script, handler, iframe or form survives;
 * - links keep their address only if it is http, https or mailto, and open in a new tab
 *   without a referrer;
 * - images load only from data: URLs of raster types, or from http(s) when the user
 *   opts in (`allowRemoteImages`): a remote image is a request to a server the stream
 *   chose, which can carry data out. A blocked image shows as its alt text and address.
 */

import createDOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";

const LANGUAGES = {
  bash, c, cpp, css, diff, go, java, javascript, json, markdown, plaintext,
  python, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** Code longer than this is shown without highlighting (it would take too long). */
export const HIGHLIGHT_LIMIT = 65536;

const SAFE_LINK = /^(?:https?:|mailto:)/i;
const REMOTE = /^https?:/i;
const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|webp);/i;

/**
 * Whether markdown may keep an address as a link or image source (the DOM pass below
 * then decides per element).
 * @param {string} url
 */
export function acceptableUrl(url) {
  const trimmed = url.trim();
  return SAFE_LINK.test(trimmed) || DATA_IMAGE.test(trimmed);
}

function createMarkdownIt() {
  const md = new MarkdownIt({
    html: false,
    linkify: true,
    highlight(code, lang) {
      const language = lang && hljs.getLanguage(lang) ? lang : null;
      if (language === null || code.length > HIGHLIGHT_LIMIT) return ""; // markdown-it escapes it
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    },
  });
  md.validateLink = acceptableUrl;
  return md;
}

/**
 * @typedef {object} RenderOptions
 * @property {boolean} [allowRemoteImages] load http(s) images (default: blocked)
 */

/**
 * A markdown renderer bound to one window (the page's, or jsdom's in tests).
 * @param {Window & typeof globalThis} window
 */
export function createRenderer(window) {
  const md = createMarkdownIt();
  const purify = createDOMPurify(window);
  let allowRemoteImages = false;

  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href");
      if (href !== null && !SAFE_LINK.test(href.trim())) node.removeAttribute("href");
      if (node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    } else if (node.tagName === "IMG") {
      const src = (node.getAttribute("src") ?? "").trim();
      if (DATA_IMAGE.test(src) || (allowRemoteImages && REMOTE.test(src))) {
        node.setAttribute("referrerpolicy", "no-referrer");
        node.setAttribute("loading", "lazy");
      } else {
        node.removeAttribute("src");
        node.removeAttribute("srcset");
        node.setAttribute("data-blocked-src", src);
      }
    }
  });

  // Set once: a config passed to each sanitize() call is parsed again on every call,
  // which cost more than the sanitizing itself for the small blocks of a stream.
  purify.setConfig({ USE_PROFILES: { html: true }, RETURN_DOM_FRAGMENT: true });

  /**
   * @param {string} html
   * @param {RenderOptions} options
   * @returns {DocumentFragment}
   */
  function sanitize(html, options) {
    allowRemoteImages = options.allowRemoteImages ?? false;
    const fragment = /** @type {DocumentFragment} */ (
      /** @type {unknown} */ (purify.sanitize(html))
    );
    for (const img of fragment.querySelectorAll("img[data-blocked-src]")) {
      img.replaceWith(blockedImage(window.document, img));
    }
    return fragment;
  }

  /**
   * Render markdown source to a sanitized fragment of `window.document`.
   * @param {string} source
   * @param {RenderOptions} [options]
   * @returns {DocumentFragment}
   */
  function render(source, options = {}) {
    return sanitize(md.render(source), options);
  }

  /**
   * Render several markdown documents at once: one element each, in order, holding what
   * `render` would give for it. One sanitizing pass for all of them, because each pass
   * parses its input as a new document, a fixed cost that dominated for small blocks.
   * @param {string[]} sources
   * @param {RenderOptions} [options]
   * @returns {HTMLElement[]}
   */
  function renderBlocks(sources, options = {}) {
    if (sources.length === 0) return [];
    // markdown-it escapes every "<" of the source (html: false), so each rendered block
    // is balanced HTML and stays inside its own <div>.
    const html = sources.map((source) => `<div>${md.render(source)}</div>`).join("");
    const fragment = sanitize(html, options);
    return /** @type {HTMLElement[]} */ ([...fragment.children]);
  }

  return { render, renderBlocks };
}

/** @typedef {ReturnType<typeof createRenderer>} Renderer */

/**
 * What a blocked image shows instead: its alt text and where it would have come from.
 * @param {Document} document
 * @param {Element} img
 */
function blockedImage(document, img) {
  const src = img.getAttribute("data-blocked-src") ?? "";
  const alt = img.getAttribute("alt") ?? "";
  const span = document.createElement("span");
  span.className = "sse-widget-image-blocked";
  span.textContent = `[image${alt ? `: ${alt}` : ""}]`;
  span.title = src
    ? `Not loaded: ${src}\nRemote images are off; StreamWidget(..., allow_remote_images=True) loads them.`
    : "Not loaded: only http(s) and data: images are shown.";
  return span;
}
