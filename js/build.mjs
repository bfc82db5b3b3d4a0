// Bundle the front end into the two modules anywidget loads, each one file (anywidget
// imports a module from a Blob URL, so nothing may be imported relatively or from a CDN
// at run time):
//   sse_widget/static/widget.js  the whole front end, styles included (js/index.js)
//   sse_widget/static/loader.js  what each widget carries: finds the one above (js/loader.js)
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: { widget: "js/index.js", loader: "js/loader.js" },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "eof",
  // Stylesheets imported from JavaScript come in as their text (see js/index.js).
  loader: { ".css": "text" },
  outdir: "sse_widget/static",
  logLevel: "info",
};

if (watch) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
