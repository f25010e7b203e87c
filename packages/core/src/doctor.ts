/**
 * `doctor`: checks a merchant's gateway configuration without moving money, and says in plain
 * language what is wrong. Offline: the partner id, the sign type against the keys given, each
 * key's format and role (private vs public, the merchant's vs Alipay's). Online: a signed query
 * for a trade id that cannot exist, the reply's signature checked with the configured key, a
 * second query with Chinese text to catch charset trouble, and what can be told locally about the
 * notify URL. The CLI's `alipayhk doctor` renders the report; adapters call it at start-up.
 */
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { GATEWAY_PRESETS, type GatewayPreset } from "./client";
import { ALIPAYHK_ENV, readInlineOrFile, type ClientSetting } from "./env";
import { AlipayConfigError, AlipayError } from "./errors";
import { encodeForm } from "./form";
import { parsePrivateKey, parsePublicKey, type PrivateKeyMaterial, type PublicKeyMaterial } from "./signing/keys";
import { encodeForCharset } from "./signing/params";
import { canonicalize } from "./signing/canonical";
import { isSignType, nodeCryptoSigner, type SignKey, type SignType, type VerifyKey } from "./signing/signer";
import { fetchTransport, type Transport } from "./transport";
import { parseGatewayReply, responseSignContent, type GatewayReply } from "./xml";

/** ok: checked and fine; problem: will fail; warning: may fail; note: information, incl. what cannot be checked. */
export type DoctorStatus = "ok" | "problem" | "warning" | "note";

/** The checks, in the order they run. */
export type DoctorCheckId =
  | "gateway"
  | "partner"
  | "sign-type"
  | "md5-key"
  | "private-key"
  | "alipay-public-key"
  | "signed-query"
  | "reply-signature"
  | "charset"
  | "notify-url";

export interface DoctorCheck {
  readonly id: DoctorCheckId;
  readonly status: DoctorStatus;
  /** One or more sentences a merchant can act on; never a key. */
  readonly message: string;
}

export interface DoctorReport {
  /** True when no check found a problem (warnings and notes allowed). */
  readonly ok: boolean;
  readonly problems: number;
  readonly warnings: number;
  readonly gatewayUrl?: string;
  readonly partner?: string;
  readonly signType?: SignType;
  readonly checks: readonly DoctorCheck[];
}

export interface DoctorOptions {
  /** The settings as text, exactly as the tool reads them (environment variables or flags). */
  settings: Partial<Record<ClientSetting, string | undefined>>;
  /** How messages name each setting (e.g. `--md5-key`); default: its ALIPAYHK_* variable. */
  labels?: Partial<Record<ClientSetting, string>>;
  /** The notify URL the merchant gives Alipay, to check what can be told locally. */
  notifyUrl?: string;
  /** Talk to the gateway and the notify URL. Default true; false runs the offline checks only. */
  network?: boolean;
  /** The HTTP seam (default: fetch). */
  transport?: Transport;
  /** Per-request timeout, ms. Default: the `timeoutMs` setting, else 15000. */
  timeoutMs?: number;
  /** Host name resolution for the notify URL check (default: the system resolver). */
  resolve?: (host: string) => Promise<string[]>;
}

/** Settings too incomplete to check anything (a missing partner or gateway): the CLI exits 2. */
export class DoctorInputError extends AlipayConfigError {}

interface Collected {
  checks: DoctorCheck[];
  add(id: DoctorCheckId, status: DoctorStatus, message: string): void;
}

const PARTNER = /^2088[0-9]{12}$/;
const LONG_BASE64 = /^[A-Za-z0-9+/=\s]{100,}$/;

function collector(): Collected {
  const checks: DoctorCheck[] = [];
  return { checks, add: (id, status, message) => checks.push({ id, status, message }) };
}

/** Whether an IP address is loopback, private, link-local or otherwise not reachable from the internet. */
export function isNonPublicAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) {
    const [a, b] = address.split(".").map(Number) as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (v === 6) {
    const x = address.toLowerCase();
    if (x.startsWith("::ffff:")) return isNonPublicAddress(x.slice(7));
    return x === "::1" || x === "::" || x.startsWith("fc") || x.startsWith("fd") || x.startsWith("fe80");
  }
  return false;
}

function isLocalHostName(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".lan") || isNonPublicAddress(h);
}

function resolveGateway(text: string | undefined, label: string): URL {
  if (!text) throw new DoctorInputError(`${label}: required: a URL or production, production-global, alipay-sandbox`);
  const preset = GATEWAY_PRESETS[text as GatewayPreset];
  try {
    const url = new URL(preset ?? text);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error();
    return url;
  } catch {
    throw new DoctorInputError(`${label}: expected an http(s) URL or production, production-global, alipay-sandbox, got ${JSON.stringify(text.slice(0, 80))}`);
  }
}

/**
 * Runs every check and returns the report; throws {@link DoctorInputError} (or the
 * `AlipayConfigError` of an unreadable key file) when the settings are too incomplete to check.
 *
 * @example
 * const report = await runDoctor({ settings: { gateway: "production", partner, md5Key }, notifyUrl: "https://shop.example/alipay/notify" });
 * for (const check of report.checks) console.log(check.status, check.message);
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const label = (setting: ClientSetting) => options.labels?.[setting] ?? ALIPAYHK_ENV[setting];
  const get = (setting: ClientSetting) => {
    const value = options.settings[setting]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const c = collector();

  // The settings, offline.
  const gatewayUrl = resolveGateway(get("gateway"), label("gateway"));
  const localGateway = isLocalHostName(gatewayUrl.hostname);
  checkGatewayUrl(c, gatewayUrl, localGateway, label);
  const partner = get("partner");
  if (!partner) throw new DoctorInputError(`${label("partner")}: required (16 digits starting with 2088, the PID on Alipay's portal)`);
  const partnerOk = checkPartner(c, partner, label);
  const texts: KeyTexts = { md5: get("md5Key"), privateKey: get("privateKey"), alipayPublicKey: get("alipayPublicKey") };
  const signType = checkSignType(c, get("signType"), texts, label);
  const keys = signType === "MD5" ? checkMd5Key(c, texts.md5!, label) : signType ? checkRsaKeys(c, signType, texts, label) : {};

  // The gateway, online.
  const network = options.network !== false;
  const timeoutText = get("timeoutMs");
  const timeoutMs = options.timeoutMs ?? (timeoutText && /^[0-9]+$/.test(timeoutText) ? Number(timeoutText) : 15_000);
  const transport = options.transport ?? fetchTransport;
  if (!network) {
    c.add("signed-query", "note", "not sent (offline): the keys' formats and roles were checked, not whether the gateway accepts them.");
  } else if (!partnerOk || !signType || !keys.signKey) {
    c.add("signed-query", "note", "not sent: fix the problems above first; the gateway would only answer ILLEGAL_SIGN or ILLEGAL_PARTNER.");
  } else {
    await probeGateway(c, {
      gatewayUrl,
      partner,
      signType,
      signKey: keys.signKey,
      verifyKey: keys.verifyKey,
      privateKey: keys.privateKey,
      transport,
      timeoutMs,
      label,
    });
  }

  // The notify URL.
  if (options.notifyUrl !== undefined) {
    await checkNotifyUrl(c, options.notifyUrl, { localGateway, network, transport, timeoutMs, resolve: options.resolve ?? defaultResolve });
  }

  const problems = c.checks.filter((check) => check.status === "problem").length;
  const warnings = c.checks.filter((check) => check.status === "warning").length;
  return { ok: problems === 0, problems, warnings, gatewayUrl: gatewayUrl.href, partner, signType, checks: c.checks };
}

type Label = (setting: ClientSetting) => string;

/** The key settings as given (inline text or file names), unset as undefined. */
interface KeyTexts {
  md5?: string;
  privateKey?: string;
  alipayPublicKey?: string;
}

/** The keys that read right, for the signed probe. */
interface UsableKeys {
  signKey?: SignKey;
  verifyKey?: VerifyKey;
  privateKey?: PrivateKeyMaterial;
}

function checkGatewayUrl(c: Collected, gatewayUrl: URL, localGateway: boolean, label: Label): void {
  if (gatewayUrl.protocol === "http:" && !localGateway) {
    c.add(
      "gateway",
      "problem",
      `${label("gateway")}: ${gatewayUrl.origin} is plain http; Alipay's gateways are https (https://intlmapi.alipay.com/gateway.do).`,
    );
  } else {
    c.add("gateway", "ok", `${label("gateway")}: ${gatewayUrl.href}${localGateway ? " (a local gateway, such as the sandbox)" : ""}.`);
  }
}

function checkPartner(c: Collected, partner: string, label: Label): boolean {
  if (PARTNER.test(partner)) {
    c.add("partner", "ok", `${label("partner")}: ${partner}.`);
    return true;
  }
  c.add(
    "partner",
    "problem",
    `${label("partner")}: expected the 16-digit PID starting with 2088 shown on Alipay's portal, got ${JSON.stringify(partner.slice(0, 40))} (${partner.length} characters).`,
  );
  return false;
}

/** The sign type given, or the default for the keys given; undefined when the keys cannot serve it. */
function checkSignType(c: Collected, signTypeText: string | undefined, texts: KeyTexts, label: Label): SignType | undefined {
  if (signTypeText !== undefined && !isSignType(signTypeText.toUpperCase())) {
    c.add("sign-type", "problem", `${label("signType")}: expected MD5, RSA or RSA2, got ${JSON.stringify(signTypeText.slice(0, 20))}.`);
    return undefined;
  }
  const signType = (signTypeText?.toUpperCase() as SignType | undefined) ?? (texts.privateKey && !texts.md5 ? "RSA2" : "MD5");
  if (signType === "MD5" && !texts.md5) {
    c.add(
      "sign-type",
      "problem",
      texts.privateKey
        ? `${label("signType")} is MD5 but no MD5 key is set, only an RSA private key: set ${label("signType")} to RSA2 (or RSA, whichever your Alipay account uses), or set ${label("md5Key")}.`
        : `${label("md5Key")}: required for sign type MD5 (the 32-character key from Alipay's portal).`,
    );
    return undefined;
  }
  if (signType !== "MD5" && !texts.privateKey) {
    c.add(
      "sign-type",
      "problem",
      texts.md5
        ? `${label("signType")} is ${signType} but only an MD5 key is set: set ${label("signType")} to MD5, or set ${label("privateKey")} and ${label("alipayPublicKey")}.`
        : `${label("privateKey")}: required for sign type ${signType} (your RSA private key).`,
    );
    return undefined;
  }
  const unused =
    signType === "MD5"
      ? texts.privateKey
        ? ` (${label("privateKey")} is set but not used with MD5)`
        : ""
      : texts.md5
        ? ` (${label("md5Key")} is set but not used with ${signType})`
        : "";
  c.add("sign-type", "ok", `sign type ${signType}${signTypeText ? "" : " (the default for the keys given)"}${unused}.`);
  return signType;
}

function checkMd5Key(c: Collected, md5Text: string, label: Label): UsableKeys {
  // An RSA key pasted here would not read as a file name: look at it before reading files.
  const md5Key = md5Text.includes("-----BEGIN") || LONG_BASE64.test(md5Text) ? md5Text : readInlineOrFile(md5Text, label("md5Key"), "text");
  if (md5Key.includes("-----BEGIN") || LONG_BASE64.test(md5Key)) {
    c.add(
      "md5-key",
      "problem",
      `${label("md5Key")}: this is an RSA key, not the MD5 key. The MD5 key is 32 letters and digits; for RSA keys set ${label("signType")} to RSA2 (or RSA) and use ${label("privateKey")}.`,
    );
    return {};
  }
  if (!/^[A-Za-z0-9]+$/.test(md5Key)) {
    c.add(
      "md5-key",
      "problem",
      `${label("md5Key")}: contains spaces, quotes or symbols (${md5Key.length} characters); the MD5 key is 32 letters and digits. Was it copied with quotes or a line break?`,
    );
    return {};
  }
  if (md5Key.length !== 32) c.add("md5-key", "warning", `${label("md5Key")}: ${md5Key.length} characters; the key Alipay's portal shows has 32.`);
  else c.add("md5-key", "ok", `${label("md5Key")}: 32 letters and digits.`);
  return { signKey: { md5Key }, verifyKey: { md5Key } };
}

/** A key that is unreadable (no such file) is a settings error; a key in the wrong role is a finding. */
function isUnreadableKey(error: unknown): boolean {
  return !(error instanceof AlipayConfigError) || /cannot read file|neither a readable file/.test(error.message);
}

function checkRsaKeys(c: Collected, signType: SignType, texts: KeyTexts, label: Label): UsableKeys {
  const keys: UsableKeys = {};
  try {
    keys.privateKey = parsePrivateKey(readInlineOrFile(texts.privateKey!, label("privateKey"), "key"), label("privateKey"));
    const bits = (keys.privateKey.keyObject.asymmetricKeyDetails?.modulusLength as number | undefined) ?? 0;
    if (bits && bits < 2048) c.add("private-key", "warning", `${label("privateKey")}: a ${bits}-bit RSA key; Alipay asks for 2048 bits.`);
    else c.add("private-key", "ok", `${label("privateKey")}: an RSA private key${bits ? ` (${bits} bits)` : ""}.`);
    keys.signKey = { privateKey: keys.privateKey };
  } catch (error) {
    if (isUnreadableKey(error)) throw error;
    const message = (error as Error).message;
    c.add(
      "private-key",
      "problem",
      /this is a public key/.test(message)
        ? `${label("privateKey")}: this is a public key. Your own RSA private key belongs here (it signs your requests); a public key (yours, or Alipay's) cannot sign.`
        : `${message}.`,
    );
  }
  if (!texts.alipayPublicKey) {
    c.add(
      "alipay-public-key",
      "problem",
      `${label("alipayPublicKey")}: required for sign type ${signType}: Alipay's RSA public key from the portal, which checks Alipay's replies and notifications.`,
    );
    return keys;
  }
  let alipayKey: PublicKeyMaterial | undefined;
  try {
    alipayKey = parsePublicKey(readInlineOrFile(texts.alipayPublicKey, label("alipayPublicKey"), "key"), label("alipayPublicKey"));
  } catch (error) {
    if (isUnreadableKey(error)) throw error;
    const message = (error as Error).message;
    c.add(
      "alipay-public-key",
      "problem",
      /this is a private key/.test(message)
        ? `${label("alipayPublicKey")}: this is a private key. Alipay's public key belongs here (the portal shows it as "Alipay public key"); Alipay never gives out its private key, so this is probably yours: keep it secret, in ${label("privateKey")}.`
        : `${message}.`,
    );
  }
  if (alipayKey && keys.privateKey && alipayKey.pem === keys.privateKey.publicPem) {
    c.add(
      "alipay-public-key",
      "problem",
      `${label("alipayPublicKey")}: this is your own public key (the public half of ${label("privateKey")}), not Alipay's. Alipay signs its replies and notifications with its own key: copy the "Alipay public key" from the portal, not the merchant public key you uploaded.`,
    );
  } else if (alipayKey) {
    c.add("alipay-public-key", "ok", `${label("alipayPublicKey")}: an RSA public key, not the public half of ${label("privateKey")}.`);
    keys.verifyKey = { publicKey: alipayKey };
  }
  return keys;
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((entry) => entry.address);
}

interface ProbeContext {
  gatewayUrl: URL;
  partner: string;
  signType: SignType;
  signKey: SignKey;
  verifyKey?: VerifyKey;
  privateKey?: PrivateKeyMaterial;
  transport: Transport;
  timeoutMs: number;
  label: (setting: ClientSetting) => string;
}

type ProbeResult = { kind: "reply"; reply: GatewayReply } | { kind: "failure"; message: string };

/** One signed query, sent the way core's client sends requests (`_input_charset` in the URL, UTF-8 body). */
async function sendQuery(ctx: ProbeContext, signType: SignType, partnerTransId: string): Promise<ProbeResult> {
  const params: Record<string, string> = {
    service: "alipay.acquire.overseas.query",
    partner: ctx.partner,
    _input_charset: "UTF-8",
    partner_trans_id: partnerTransId,
  };
  const content = encodeForCharset(canonicalize(params), "UTF-8");
  const sign = nodeCryptoSigner.sign(signType, content, ctx.signKey);
  // `_input_charset` travels in the URL, the rest in the body, like core's client sends it.
  const body: Record<string, string> = { service: params.service!, partner: ctx.partner, partner_trans_id: partnerTransId, sign, sign_type: signType };
  let response;
  try {
    response = await ctx.transport({
      url: `${ctx.gatewayUrl.href}${ctx.gatewayUrl.search ? "&" : "?"}_input_charset=UTF-8`,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      body: encodeForm(body),
      timeoutMs: ctx.timeoutMs,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; cause?: { code?: string } } }).cause;
    const code = cause?.code ?? cause?.cause?.code ?? (error instanceof AlipayError ? error.code : undefined);
    const why =
      error instanceof AlipayError && error.type === "timeout" ? `no answer within ${ctx.timeoutMs} ms` : `the connection failed${code ? ` (${code})` : ""}`;
    return {
      kind: "failure",
      message: `${ctx.label("gateway")}: ${ctx.gatewayUrl.href} cannot be reached: ${why}. Check the URL, DNS and any firewall or proxy between this machine and Alipay.`,
    };
  }
  if (response.status !== 200) {
    return {
      kind: "failure",
      message: `${ctx.label("gateway")}: ${ctx.gatewayUrl.href} answered HTTP ${response.status}, not an Alipay reply. Is this the gateway.do URL?`,
    };
  }
  try {
    return { kind: "reply", reply: parseGatewayReply(response.body, response.headers["content-type"]) };
  } catch {
    return {
      kind: "failure",
      message: `${ctx.label("gateway")}: ${ctx.gatewayUrl.href} answered something that is not an Alipay gateway reply (no <alipay> XML). Is this the gateway.do URL?`,
    };
  }
}

function impossibleId(): string {
  return `alipayhk-doctor-${randomBytes(8).toString("hex")}`;
}

async function probeGateway(c: Collected, ctx: ProbeContext): Promise<void> {
  const { label, partner, signType } = ctx;
  const first = await sendQuery(ctx, signType, impossibleId());
  if (first.kind === "failure") {
    c.add("signed-query", "problem", first.message);
    return;
  }
  const reply = first.reply;
  if (!reply.isSuccess) {
    c.add("signed-query", "problem", await explainRefusal(ctx, reply.error ?? "(no error code)"));
    return;
  }
  const code = reply.response.result_code;
  const error = reply.response.error;
  if (error === "TRADE_NOT_EXIST") {
    c.add(
      "signed-query",
      "ok",
      `the gateway accepted ${signType === "MD5" ? "an" : "a"} ${signType}-signed query from partner ${partner} (for a trade id that cannot exist; it answered ${code ?? "?"} TRADE_NOT_EXIST).`,
    );
  } else {
    c.add(
      "signed-query",
      "warning",
      `the gateway accepted the signed query but answered ${code ?? "no result_code"}${error ? ` ${error}` : ""} instead of TRADE_NOT_EXIST.`,
    );
  }

  // The reply's signature, with the configured key.
  if (!reply.sign) {
    c.add(
      "reply-signature",
      "warning",
      `the gateway's reply was not signed, so ${signType === "MD5" ? label("md5Key") : label("alipayPublicKey")} could not be checked against it.`,
    );
  } else if (!ctx.verifyKey) {
    c.add("reply-signature", "note", `the reply is signed, but ${label("alipayPublicKey")} is missing or unusable, so it was not checked.`);
  } else {
    const replySignType = isSignType(reply.signType) ? reply.signType : signType;
    const valid = nodeCryptoSigner.verify(replySignType, responseSignContent(reply), reply.sign, ctx.verifyKey);
    if (valid) {
      c.add(
        "reply-signature",
        "ok",
        `the reply's ${replySignType} signature verifies with ${signType === "MD5" ? label("md5Key") : label("alipayPublicKey")}.`,
      );
    } else if (signType === "MD5") {
      c.add(
        "reply-signature",
        "problem",
        `the reply's signature does not verify with ${label("md5Key")}, although the gateway accepted requests signed with it. Something between you and Alipay alters replies.`,
      );
    } else {
      c.add(
        "reply-signature",
        "problem",
        `the reply's signature does not verify with ${label("alipayPublicKey")}: it is not the Alipay public key of this gateway. Copy the "Alipay public key" shown for partner ${partner} on the portal of this environment (the sandbox and production keys differ). Until then every reply and notification will be refused.`,
      );
    }
  }

  // Charset: the same query with Chinese text. Signature trouble only with non-ASCII means the
  // gateway checks other bytes than those signed.
  const second = await sendQuery(ctx, signType, `${impossibleId()}-診斷`);
  if (second.kind === "reply" && !second.reply.isSuccess && second.reply.error === "ILLEGAL_SIGN") {
    c.add(
      "charset",
      "problem",
      "the gateway accepts signed requests in plain ASCII but answers ILLEGAL_SIGN as soon as one holds Chinese text: it checks the signature over bytes in another charset than the UTF-8 they were signed in. Send _input_charset=UTF-8 in the URL's query string (not only in the body), send the body in UTF-8, and make sure no proxy re-encodes it; if you sign requests yourself, sign the bytes in the charset you declare. Orders with Chinese subjects and refund reasons will fail until then.",
    );
  } else if (second.kind === "reply") {
    c.add("charset", "ok", "Chinese text is signed and checked in the same charset (UTF-8).");
  } else {
    c.add("charset", "note", `the charset check could not be run: ${second.message}`);
  }
}

async function explainRefusal(ctx: ProbeContext, error: string): Promise<string> {
  const { label, partner, signType } = ctx;
  switch (error) {
    case "ILLEGAL_PARTNER":
      return `ILLEGAL_PARTNER: the gateway does not know partner ${partner}. Check ${label("partner")} is the PID of this environment (a sandbox PID does not exist on production, and the reverse), and ${label("gateway")} points at the right gateway.`;
    case "ILLEGAL_SIGN":
    case "ILLEGAL_SIGN_TYPE": {
      if (signType !== "MD5") {
        const other: SignType = signType === "RSA2" ? "RSA" : "RSA2";
        const retry = await sendQuery(ctx, other, impossibleId());
        if (retry.kind === "reply" && (retry.reply.isSuccess || !["ILLEGAL_SIGN", "ILLEGAL_SIGN_TYPE"].includes(retry.reply.error ?? ""))) {
          return `${error}: the gateway refuses ${signType} signatures from partner ${partner} but accepts ${other} with the same key: set ${label("signType")} to ${other}. (${other === "RSA" ? "RSA is SHA1withRSA" : "RSA2 is SHA256withRSA"}; the key pair is the same, the portal decides which one your account uses.)`;
        }
        if (error === "ILLEGAL_SIGN_TYPE") {
          return `ILLEGAL_SIGN_TYPE: the gateway does not accept RSA or RSA2 from partner ${partner}: no merchant RSA public key is registered for it, or the account is set up for MD5. Upload the public half of ${label("privateKey")} on the portal, or use ${label("md5Key")} with sign type MD5.`;
        }
        return `ILLEGAL_SIGN: the gateway does not accept your ${signType} signature. The merchant public key registered for partner ${partner} is not the public half of ${label("privateKey")}: another key pair was uploaded, or this key pair belongs to another partner (check ${label("partner")}). Upload the public key that matches your private key, or use the private key whose public key you uploaded.`;
      }
      if (error === "ILLEGAL_SIGN_TYPE") {
        return `ILLEGAL_SIGN_TYPE: the gateway does not accept MD5 from partner ${partner}; the account is set up for RSA/RSA2. Set ${label("signType")} to RSA2 (or RSA) with ${label("privateKey")} and ${label("alipayPublicKey")}.`;
      }
      return `ILLEGAL_SIGN: the gateway refuses the MD5 signature: ${label("md5Key")} is not the MD5 key of partner ${partner} on this gateway. Either the key belongs to another partner (check ${label("partner")} is the PID shown next to this key on the portal), it is the key of another environment (sandbox vs production), or it was copied incompletely.`;
    }
    case "ILLEGAL_SERVICE":
      return `ILLEGAL_SERVICE: partner ${partner} may not use alipay.acquire.overseas.query on this gateway: the account is not signed up for the HK in-store products (QR code / barcode), or this is not the HK (intlmapi) gateway.`;
    case "ILLEGAL_CHARSET":
    case "ILLEGAL_ENCODING":
      return `${error}: the gateway could not read the request's charset; a proxy between you and Alipay may rewrite the request.`;
    default:
      return `the gateway refused the signed query with ${error}.`;
  }
}

interface NotifyContext {
  localGateway: boolean;
  network: boolean;
  transport: Transport;
  timeoutMs: number;
  resolve: (host: string) => Promise<string[]>;
}

const CANNOT_TELL =
  "Not checked from here: whether Alipay's servers can reach it (their network, your firewall's allow-list, DNS as seen from outside); only a real notification proves that.";

async function checkNotifyUrl(c: Collected, text: string, ctx: NotifyContext): Promise<void> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    c.add("notify-url", "problem", `notify URL: expected an absolute http(s) URL, got ${JSON.stringify(text.slice(0, 80))}.`);
    return;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    c.add("notify-url", "problem", `notify URL: expected http or https, got ${url.protocol.replace(":", "")}.`);
    return;
  }
  const findings: Array<{ status: DoctorStatus; text: string }> = [];
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[] = [];
  if (isIP(host)) addresses = [host];
  else if (ctx.network || isLocalHostName(host)) {
    try {
      addresses = isLocalHostName(host) && !ctx.network ? [] : await ctx.resolve(host);
    } catch {
      findings.push({
        status: "problem",
        text: `${host} does not resolve from here (DNS), so Alipay cannot resolve it either unless your DNS differs inside and out.`,
      });
    }
  }
  const privateHost = isLocalHostName(host) || (addresses.length > 0 && addresses.every(isNonPublicAddress));
  if (privateHost) {
    findings.push(
      ctx.localGateway
        ? {
            status: "note",
            text: `${host} is a local or private address: fine for a local gateway such as the sandbox, but Alipay's servers cannot reach it; use a public host name in production.`,
          }
        : {
            status: "problem",
            text: `${host} is a local or private address${addresses.length && !isIP(host) ? ` (${addresses.join(", ")})` : ""}: Alipay's servers cannot reach it. Use a public host name (a tunnel such as a reverse proxy for development).`,
          },
    );
  }
  if (url.protocol === "http:" && !privateHost)
    findings.push({
      status: "warning",
      text: "Plain http: notifications travel unencrypted; use https (they are signed, so they cannot be forged, but they can be read).",
    });
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (port !== 80 && port !== 443 && !privateHost)
    findings.push({
      status: "warning",
      text: `Port ${port}: use 80 or 443; many firewalls on the way (and, in merchants' reports, Alipay's side) do not pass other ports.`,
    });
  if (/[?&](sign|notify_id|out_trade_no|trade_status)=/.test(url.search))
    findings.push({ status: "warning", text: "The URL has Alipay field names in its query string; they would be confused with the notification's fields." });

  if (ctx.network) {
    try {
      const response = await ctx.transport({
        url: url.href,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
        body: "alipayhk_doctor=1",
        timeoutMs: ctx.timeoutMs,
      });
      const body = response.body.toString("utf8").trim();
      if (response.status === 200 && body === "success") {
        findings.push({
          status: "problem",
          text: "It answered `success` to an unsigned POST: it must verify the signature (and check the trade) before answering success, or anyone can mark orders paid.",
        });
      } else if (response.status >= 300 && response.status < 400) {
        findings.push({ status: "problem", text: `It answered HTTP ${response.status} (a redirect); Alipay does not follow redirects: use the final URL.` });
      } else if (response.status === 404 || response.status === 405) {
        findings.push({ status: "problem", text: `It answered HTTP ${response.status} to a POST: Alipay POSTs notifications there. Check the path.` });
      } else {
        findings.push({
          status: "ok",
          text: `It answered an unsigned test POST from here with HTTP ${response.status}${body === "success" ? "" : " and not `success`"}, as it should.`,
        });
      }
    } catch {
      findings.push({
        status: privateHost && ctx.localGateway ? "warning" : "problem",
        text: "It did not answer a test POST from here (connection refused or timed out).",
      });
    }
  }
  const worst: DoctorStatus = findings.some((f) => f.status === "problem")
    ? "problem"
    : findings.some((f) => f.status === "warning")
      ? "warning"
      : findings.some((f) => f.status === "ok")
        ? "ok"
        : "note";
  c.add("notify-url", worst, `notify URL ${url.href}: ${findings.map((f) => f.text).join(" ") || "well-formed."} ${CANNOT_TELL}`);
}

const MARK: Record<DoctorStatus, string> = { ok: "ok     ", problem: "PROBLEM", warning: "warning", note: "note   " };

/** The report as a merchant reads it: one line per check, then the verdict (every tool prints this). */
export function renderDoctorReport(report: DoctorReport): string {
  const lines = [`Checking partner ${report.partner ?? "?"} (sign type ${report.signType ?? "?"}) against ${report.gatewayUrl ?? "?"}`];
  for (const check of report.checks) lines.push(`  ${MARK[check.status]}  ${check.id.padEnd(17)} ${check.message}`);
  lines.push(
    report.ok
      ? `No problems found${report.warnings ? ` (${report.warnings} warning${report.warnings === 1 ? "" : "s"})` : ""}.`
      : `${report.problems} problem${report.problems === 1 ? "" : "s"} found.`,
  );
  return `${lines.join("\n")}\n`;
}

/** The `ALIPAYHK_*` settings as `runDoctor` takes them, from an environment. */
export function doctorSettingsFromEnv(env: Record<string, string | undefined>): Partial<Record<ClientSetting, string | undefined>> {
  const settings: Partial<Record<ClientSetting, string | undefined>> = {};
  for (const [setting, variable] of Object.entries(ALIPAYHK_ENV) as Array<[ClientSetting, string]>) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== "") settings[setting] = value;
  }
  return settings;
}
