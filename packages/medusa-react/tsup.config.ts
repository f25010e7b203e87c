import { packageBuild } from "../../tsup.shared.ts";

/** Browser code for storefronts: React stays the app's own; `"use client"` lets Next.js App Router import it from server components' trees. */
export default packageBuild({
  platform: "browser",
  target: "es2020",
  external: ["react", "react/jsx-runtime"],
  banner: { js: '"use client";' },
});
