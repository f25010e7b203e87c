import { packageBuild } from "../../tsup.shared";

export default packageBuild({
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    "reconciliation/index": "src/reconciliation/index.ts",
  },
});
