// Bundle the front end into the two files anywidget loads: sse_widget/static/widget.js
// (one ES module: anywidget imports it from a Blob URL, so nothing may be imported
// relatively or from a CDN at run time) and widget.css.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: { widget: "js/widget.js" },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "eof",
  outdir: "sse_widget/static",
  logLevel: "info",
};
/** @type {import("esbuild").BuildOptions} */
const css = { ...options, entryPoints: { widget: "js/widget.css" } };

if (watch) {
  for (const config of [options, css]) await (await esbuild.context(config)).watch();
} else {
  await Promise.all([esbuild.build(options), esbuild.build(css)]);
}
