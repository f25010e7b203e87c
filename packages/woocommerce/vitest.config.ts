import { packageTests } from "../../vitest.shared";

// Tests start real servers (fake WooCommerce over HTTPS, the sandbox, Chromium): run files one at a time.
export default packageTests({ fileParallelism: false });
