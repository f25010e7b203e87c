import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The WooCommerce fixtures live in the project's shared folder beside the repository
 * (`shared/fixtures/woocommerce`, see its README for provenance). `WOO_FIXTURES_DIR` overrides.
 */
export const FIXTURES_DIR =
  process.env.WOO_FIXTURES_DIR ?? fileURLToPath(new URL("../../../../../shared/fixtures/woocommerce/", import.meta.url));

export function fixturePath(name: string): string {
  const path = `${FIXTURES_DIR.replace(/\/?$/, "/")}${name}`;
  if (!existsSync(path)) {
    throw new Error(`WooCommerce fixture ${name} not found in ${FIXTURES_DIR} (set WOO_FIXTURES_DIR to the shared/fixtures/woocommerce folder)`);
  }
  return path;
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), "utf8")) as T;
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}
