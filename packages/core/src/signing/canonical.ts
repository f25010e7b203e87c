/** A flat parameter map as sent on the wire; undefined/null/"" values are not sent and not signed. */
export type GatewayParams = Record<string, string | undefined | null>;

/**
 * The one canonical pre-sign string (spec §4.1), used for signing AND verifying requests,
 * responses and notifications: drop `sign`, `sign_type` and empty values, sort names in byte order,
 * join raw (not URL-encoded) `name=value` pairs with `&`.
 *
 * @example canonicalize({ b: "2", a: "1", sign: "x", memo: "" }) // "a=1&b=2"
 */
export function canonicalize(params: GatewayParams): string {
  const names = Object.keys(params).filter((name) => {
    if (name === "sign" || name === "sign_type") return false;
    const value = params[name];
    return value !== undefined && value !== null && value !== "";
  });
  // Byte order, not locale order: Java's TreeMap and PHP's ksort compare code units.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => `${name}=${params[name]}`).join("&");
}
