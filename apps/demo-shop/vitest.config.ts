import { packageTests } from "../../vitest.shared.ts";

// The e2e test runs the whole repo's `npm start` and a browser: files one at a time.
export default packageTests({ fileParallelism: false });
