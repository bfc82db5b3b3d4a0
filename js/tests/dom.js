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
