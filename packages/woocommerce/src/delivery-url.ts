import { lookup } from "node:dns/promises";
import { isIPv4 } from "node:net";

/** The ports `wp_http_validate_url()` accepts without a filter (`http_allowed_safe_ports`). */
export const WORDPRESS_SAFE_PORTS: readonly number[] = [80, 443, 8080];

/** What WooCommerce's delivery rule says about one webhook delivery URL. */
export interface DeliveryUrlVerdict {
  /** Whether WordPress will send to it (without site-specific filters). */
  ok: boolean;
  /** Which rule refuses it: `port`, `private-host`, `unresolvable-host`, `credentials` or `host-syntax`. */
  rule?: "port" | "private-host" | "unresolvable-host" | "credentials" | "host-syntax";
  /** One line naming the rule, for the log, `--check` and `/healthz`. */
  message?: string;
}

const WHY =
  'WooCommerce delivers webhooks with wp_safe_remote_request(), whose wp_http_validate_url() refuses it ("A valid URL was not provided."), counts a failure and in the end disables the webhook';

/**
 * Applies WordPress's `wp_http_validate_url()` (WordPress 6.x, used by WooCommerce for webhook
 * deliveries and pings) to the bridge's delivery URL, as a shop without extra filters would:
 * - no user or password in the URL, no `:#?[]` in the host (so no IPv6 literal);
 * - a host that is not the shop's own must resolve, and not to 127/8, 10/8, 0/8, 172.16/12 or 192.168/16;
 * - an explicit port must be 80, 443 or 8080, or equal the shop's own port on the shop's own host.
 *
 * `resolve` maps a host name to an IPv4 address (or `undefined` when it does not resolve, e.g.
 * {@link resolveIPv4}); without it only IP literals and `localhost` are judged and other names
 * are taken as public.
 */
export async function checkDeliveryUrl(
  deliveryUrl: string,
  shopUrl: string,
  resolve?: (host: string) => Promise<string | undefined>,
): Promise<DeliveryUrlVerdict> {
  let target: URL;
  let shop: URL;
  try {
    target = new URL(deliveryUrl);
    shop = new URL(shopUrl);
  } catch {
    return { ok: false, rule: "host-syntax", message: `${deliveryUrl} is not a URL` };
  }
  if (target.username || target.password) {
    return { ok: false, rule: "credentials", message: `PUBLIC_URL holds a user name or password; ${WHY}` };
  }
  const host = target.hostname.toLowerCase();
  if (/[:#?[\]]/.test(host)) {
    return { ok: false, rule: "host-syntax", message: `PUBLIC_URL host ${host} is an IPv6 literal; ${WHY}. Use a host name` };
  }
  const sameHost = host === shop.hostname.toLowerCase();
  if (!sameHost) {
    const ip = isIPv4(host) ? host : host === "localhost" ? "127.0.0.1" : resolve ? await resolve(host) : "";
    if (ip === undefined) {
      return { ok: false, rule: "unresolvable-host", message: `PUBLIC_URL host ${host} does not resolve; ${WHY}` };
    }
    if (ip !== "" && isIPv4(ip) && isPrivateForWordPress(ip)) {
      return {
        ok: false,
        rule: "private-host",
        message: `PUBLIC_URL host ${host} is a loopback or private address (${ip}) and not the shop's own host ${shop.hostname}; ${WHY}. Use a public host name, or the shop's own host`,
      };
    }
  }
  if (target.port !== "") {
    const port = Number(target.port);
    const shopPort = shop.port === "" ? undefined : Number(shop.port);
    const allowed = WORDPRESS_SAFE_PORTS.includes(port) || (sameHost && shopPort === port);
    if (!allowed) {
      return {
        ok: false,
        rule: "port",
        message: `PUBLIC_URL port ${port} is not 80, 443 or 8080${sameHost ? ` nor the shop's own port` : ""}; ${WHY}. Put the bridge behind a reverse proxy on 443 (see "Running the bridge") or listen on PORT=8080`,
      };
    }
  }
  return { ok: true };
}

/**
 * Resolves a host name to an IPv4 address the way PHP's gethostbyname() does: `undefined` when
 * the name does not exist, `""` when it cannot tell (no DNS here, a time-out): then the host is
 * not judged.
 */
export async function resolveIPv4(host: string, timeoutMs = 2_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(""), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([lookup(host, { family: 4 }).then((r) => r.address), timeout]);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOTFOUND" ? undefined : "";
  } finally {
    clearTimeout(timer);
  }
}

/** The ranges wp_http_validate_url() refuses for a host that is not the site's own. */
function isPrivateForWordPress(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number) as [number, number];
  return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}
