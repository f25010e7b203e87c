import { fileURLToPath } from "node:url";
import { mergeConfig } from "vitest/config";
import { packageTests } from "../../vitest.shared.ts";

// The service kit from source too, so it and these tests share core's classes (one AlipayConfigError).
const kit = fileURLToPath(new URL("../service-kit/src/index.ts", import.meta.url));

export default mergeConfig(packageTests({ globalSetup: ["./test/global-setup.ts"] }), {
  resolve: { alias: [{ find: /^@alipayhk\/service-kit$/, replacement: kit }] },
});
