import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";

/**
 * Why a per-order `notify` URL's host is refused: it names this machine or a private network
 * (loopback, private, link-local, unique-local, CGNAT, multicast, unspecified), so a platform
 * request could make the service post to internal systems (SSRF). Undefined when the host is
 * a public address or a DNS name.
 *
 * A DNS name is not resolved here (its answer can change before delivery): deliveries to
 * per-order URLs connect through {@link publicOnlyLookup}, which checks every address it resolves.
 */
export function privateHostReason(hostname: string): string | undefined {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost";
  const family = isIP(host);
  if (family === 4) return privateIpv4(host);
  if (family === 6) return privateIpv6(host);
  return undefined;
}

function ipv4Octets(address: string): number[] {
  return address.split(".").map(Number);
}

function privateIpv4(address: string): string | undefined {
  const [a = 0, b = 0] = ipv4Octets(address);
  if (a === 0) return "an unspecified (0.0.0.0/8) address";
  if (a === 127) return "a loopback address";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "a private address";
  if (a === 169 && b === 254) return "a link-local address";
  if (a === 100 && b >= 64 && b <= 127) return "a shared (CGNAT) address";
  if (a === 192 && b === 0 && ipv4Octets(address)[2] === 0) return "a reserved address";
  if (a === 198 && (b === 18 || b === 19)) return "a benchmarking address";
  if (a >= 224) return "a multicast or reserved address";
  return undefined;
}

/** The 8 groups of an IPv6 address (an embedded dotted IPv4 tail included), as numbers. */
function ipv6Groups(address: string): number[] {
  let text = address.split("%")[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(v4[1]!);
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill("0"), ...right].map((group) => parseInt(group || "0", 16));
}

function privateIpv6(address: string): string | undefined {
  const g = ipv6Groups(address);
  const first = g[0] ?? 0;
  if (g.every((x) => x === 0)) return "the unspecified address";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "a loopback address";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): judge the IPv4 inside.
  const embedded = `${(g[6]! >> 8) & 255}.${g[6]! & 255}.${(g[7]! >> 8) & 255}.${g[7]! & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return privateIpv4(embedded) ?? undefined;
  if (first === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return privateIpv4(embedded);
  if ((first & 0xfe00) === 0xfc00) return "a unique-local (fc00::/7) address";
  if ((first & 0xffc0) === 0xfe80) return "a link-local (fe80::/10) address";
  if ((first & 0xffc0) === 0xfec0) return "a site-local address";
  if ((first & 0xff00) === 0xff00) return "a multicast address";
  return undefined;
}

/** `dns.lookup` with `all: true`, or a stand-in with the same contract. */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for node:http that connects only to public addresses: a name that resolves to any
 * loopback, private, link-local or unique-local address fails with `EPRIVATEADDRESS`. It runs on
 * every new connection, so a DNS answer that changes after the order was accepted cannot reach an
 * internal host. (IP literals never reach a lookup; {@link privateHostReason} refuses them at the API.)
 */
export function publicOnlyLookup(resolve: Resolver = dnsLookup as unknown as Resolver): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { family: options.family, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const refused = addresses.length === 0 ? "no address" : addresses.map((a) => privateHostReason(a.address)).find(Boolean);
      if (refused)
        return callback(Object.assign(new Error(`${hostname} resolves to ${refused}; per-order notify URLs must be public`), { code: "EPRIVATEADDRESS" }));
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
}

/** True for an absolute http:// or https:// URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
