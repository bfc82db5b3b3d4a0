// @ts-check
/**
 * The module each StreamWidget carries: a few hundred bytes that find the full front end
 * (see registry.js) instead of 230 KB of it in every widget's state.
 *
 * The full module comes with the kernel's one hidden module widget, which Jupyter pages
 * create as soon as the kernel opens it. A host that only creates the widgets it shows
 * (marimo) never loads that one: after `ASK_AFTER_MS` without the module, the loader asks
 * its own widget's kernel for the source, which comes back in parts as custom messages.
 */

import { entry } from "./registry.js";

/** Milliseconds to wait for the module widget before asking the kernel. */
export const ASK_AFTER_MS = 1000;
/** Milliseconds after which an unanswered request may be made again (by any widget). */
export const ASK_AGAIN_MS = 5000;

/**
 * @typedef {{ kind: "module", key: string, part: number, parts: number, source: string }} ModulePart
 * @typedef {{ get(name: string): any, send(content: unknown): void,
 *             on(name: string, callback: (message: any) => void): void,
 *             off(name: string, callback: (message: any) => void): void }} Model
 */

/**
 * Collects the parts of the module's source sent to one model; `done` gets the source.
 * @param {string} key
 * @param {(source: string) => void} done
 */
export function partsCollector(key, done) {
  /** @type {string[]} */
  let parts = [];
  /** @param {unknown} message */
  return (message) => {
    const part = /** @type {ModulePart} */ (message);
    if (typeof message !== "object" || message === null || part.kind !== "module") return;
    if (part.key !== key) return;
    if (part.part === 0) parts = [];
    if (part.part !== parts.length) return; // a part went missing: the next request restarts
    parts.push(part.source);
    if (parts.length === part.parts) done(parts.join(""));
  };
}

/**
 * The full module's API for this model's key, asking the kernel if it does not come.
 * @param {Model} model
 * @param {{ setTimeout: (callback: () => void, ms: number) => unknown, now: () => number,
 *           importSource: (source: string) => Promise<any> }} host
 */
export function load(model, host) {
  const key = model.get("_module_key");
  const found = entry(key);
  if (found.settled) return found.promise;
  const collect = partsCollector(key, async (source) => {
    model.off("msg:custom", collect);
    const module = await host.importSource(source);
    found.resolve(module.api);
  });
  model.on("msg:custom", collect);
  const ask = () => {
    if (found.settled) return;
    const now = host.now();
    if (found.askedAt === null || now - found.askedAt >= ASK_AGAIN_MS) {
      found.askedAt = now;
      model.send({ kind: "module", key });
    }
    host.setTimeout(ask, ASK_AGAIN_MS);
  };
  host.setTimeout(ask, ASK_AFTER_MS);
  found.promise.then(() => model.off("msg:custom", collect));
  return found.promise;
}

/** @param {string} source */
async function importSource(source) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(/* @vite-ignore */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export default {
  /** @param {{ model: Model, el: HTMLElement }} props */
  async render({ model, el }) {
    const window = el.ownerDocument.defaultView ?? globalThis;
    const api = await load(model, {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      now: () => Date.now(),
      importSource,
    });
    return api.render({ model, el });
  },
};
