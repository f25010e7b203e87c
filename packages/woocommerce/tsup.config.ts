import { packageBuild } from "../../tsup.shared";

export default packageBuild({
  entry: { index: "src/index.ts" },
  bins: { bin: "src/bin.ts" },
  // `import.meta.url` (used to load the CJS-only WooCommerce client) in the CJS build.
  shims: true,
});
