// @ts-check
/** A DOM for node tests (jsdom), shaped like a browser window. */
import { JSDOM } from "jsdom";

export function makeWindow() {
  const dom = new JSDOM("<!doctype html><html><body></body></html>", {
    pretendToBeVisual: true, // gives requestAnimationFrame
  });
  return /** @type {Window & typeof globalThis} */ (/** @type {unknown} */ (dom.window));
}

/**
 * Resolve after `n` animation frames of `window`.
 * @param {Window} window
 * @param {number} [n]
 */
export async function frames(window, n = 1) {
  for (let i = 0; i < n; i += 1) {
    await new Promise((resolve) => window.requestAnimationFrame(resolve));
  }
}

/**
 * The text a text view (`TextView`) shows, as the stream sent it: each settled block's
 * text (its pieces' and its own) and the line feed its end stands for, then the tail.
 * What a browser's `innerText` gives (jsdom has none): pieces are inline blocks.
 * @param {Element} root
 */
export function flowText(root) {
  let text = "";
  for (const block of root.querySelectorAll(".sse-widget-block")) text += `${block.textContent ?? ""}\n`;
  return text + (root.querySelector(".sse-widget-tail")?.textContent ?? "");
}
