// esbuild bundles stylesheets imported from JavaScript as their text (see build.mjs).
declare module "*.css" {
  const text: string;
  export default text;
}
