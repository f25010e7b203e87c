import { packageBuild } from "../../tsup.shared.ts";

// An app, not a library: one ESM entry to run, no type declarations.
export default packageBuild({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  dts: false,
});
