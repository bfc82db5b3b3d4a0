// @ts-check
/**
 * The full front end, as one module (esbuild bundles this into sse_widget/static/widget.js).
 *
 * The kernel's hidden module widget loads it once per page and registers it (see
 * registry.js), so every StreamWidget's small loader uses this one copy. Loaded directly
 * as a widget's module (anywidget's hot reload), it renders as StreamWidget's own.
 * The styles travel inside it: each view adds them to the document or shadow root it
 * is shown in, once (marimo shows widgets in shadow roots that page styles do not reach).
 */

import css from "./widget.css";
import { provide } from "./registry.js";
import widget from "./widget.js";

/** Roots (documents, shadow roots) that have the styles already. @type {WeakSet<Node>} */
const styled = new WeakSet();

/**
 * Add the widget's styles to the root `el` is shown in, once per root.
 * @param {HTMLElement} el
 */
function addStyles(el) {
  const root = el.getRootNode();
  const document = el.ownerDocument;
  // A view not yet in the page has itself as root: it will join the document, unless a
  // host made it inside a shadow root already.
  const target = isShadowRoot(root) ? root : document.head;
  if (styled.has(target)) return;
  styled.add(target);
  const style = document.createElement("style");
  style.dataset.sseWidget = "";
  style.textContent = css;
  target.appendChild(style);
}

/**
 * @param {Node} node
 * @returns {node is ShadowRoot}
 */
function isShadowRoot(node) {
  return node.nodeType === 11 && "host" in node; // a document fragment with a host
}

export const api = {
  /** @param {{ model: any, el: HTMLElement }} props */
  render(props) {
    addStyles(props.el);
    return widget.render(props);
  },
};

export default {
  /** @param {{ model: any }} props */
  initialize({ model }) {
    // Only the kernel's module widget has this trait: it carries the module to the page.
    const key = model.get("provides");
    if (key) provide(key, api);
  },
  render: api.render,
};
