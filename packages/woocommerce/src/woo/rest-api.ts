import { createRequire } from "node:module";
import type WooCommerceRestApiType from "@woocommerce/woocommerce-rest-api";

/**
 * The one place that loads `@woocommerce/woocommerce-rest-api` 1.0.2. Its ESM default import is
 * broken (woocommerce-rest-api-js-lib#66): under Node ESM `import W from ...` yields the CJS
 * `module.exports` object `{ default, OptionsException }`, not the class. Loading the CJS build with
 * `require` and taking `.default` works the same in our ESM and CJS builds and under Vitest.
 */
const require = createRequire(import.meta.url);
const loaded = require("@woocommerce/woocommerce-rest-api") as { default?: unknown } | (new (...a: unknown[]) => unknown);

export type WooCommerceRestApi = WooCommerceRestApiType;
export type WooCommerceRestApiOptions = ConstructorParameters<typeof WooCommerceRestApiType>[0];

export const WooCommerceRestApiCtor: new (options: WooCommerceRestApiOptions) => WooCommerceRestApiType =
  typeof loaded === "function" ? (loaded as never) : ((loaded as { default: unknown }).default as never);
