/**
 * `wp_json_encode()` with PHP's default flags, as WooCommerce encodes webhook bodies: `/` is
 * escaped as `\/` and every non-ASCII character as `\uXXXX` (UTF-16 units, so astral characters
 * become surrogate pairs). Bodies are signed over these exact bytes.
 */
export function wpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
