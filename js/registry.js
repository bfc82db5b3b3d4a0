// @ts-check
/**
 * Where the page keeps the front end once it has it, so that every widget of every kernel
 * uses one copy of the module (evaluated once) instead of each bringing its own.
 *
 * The full module registers itself here under its key (a hash of its source, so two
 * kernels on different versions never share); the small loader each widget carries
 * waits here for it. Both are bundled separately, so they meet through a global.
 */

/**
 * What the full module offers the loader: anywidget's `render`.
 * @typedef {{ render: (props: { model: any, el: HTMLElement }) => unknown }} Api
 * @typedef {{ promise: Promise<Api>, resolve: (api: Api) => void, settled: boolean,
 *             askedAt: number | null }} Entry
 */

const GLOBAL = Symbol.for("sse-widget.modules");

/** @returns {Map<string, Entry>} */
function registry() {
  const scope = /** @type {Record<symbol, Map<string, Entry> | undefined>} */ (
    /** @type {unknown} */ (globalThis)
  );
  let map = scope[GLOBAL];
  if (map === undefined) {
    map = new Map();
    scope[GLOBAL] = map;
  }
  return map;
}

/**
 * The registry entry for `key`, made if it is the first time the key is named.
 * @param {string} key
 * @returns {Entry}
 */
export function entry(key) {
  const map = registry();
  let found = map.get(key);
  if (found === undefined) {
    /** @type {(api: Api) => void} */
    let resolve = () => {};
    const promise = new Promise((done) => {
      resolve = done;
    });
    const made = /** @type {Entry} */ ({ promise, settled: false, askedAt: null });
    made.resolve = (api) => {
      if (made.settled) return;
      made.settled = true;
      resolve(api);
    };
    map.set(key, made);
    found = made;
  }
  return found;
}

/**
 * The full module is here: every loader waiting for `key` goes on.
 * @param {string} key
 * @param {Api} api
 */
export function provide(key, api) {
  entry(key).resolve(api);
}
