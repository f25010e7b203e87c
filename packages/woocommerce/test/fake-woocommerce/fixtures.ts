import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The WooCommerce REST v3 fixtures, kept in the package (`test/fixtures`, copied from the
 * project's spec folder; its README gives each file's provenance) so a bare clone runs the tests.
 * `WOO_FIXTURES_DIR` overrides.
 */
export const FIXTURES_DIR = process.env.WOO_FIXTURES_DIR ?? fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixturePath(name: string): string {
  const path = `${FIXTURES_DIR.replace(/\/?$/, "/")}${name}`;
  if (!existsSync(path)) {
    throw new Error(`WooCommerce fixture ${name} not found in ${FIXTURES_DIR} (set WOO_FIXTURES_DIR to a folder of WooCommerce fixtures)`);
  }
  return path;
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), "utf8")) as T;
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}
