/**
 * `alipayhk sandbox` / `alipayhk-sandbox`: starts the sandbox, prints where it is and which test
 * keys to give the client, logs one line per request, and stops on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { AlipayConfigError, isSignType, toBareBase64, type SignType } from "@alipayhk/core";
import { parse, readSettings, renderHelp, setting, SettingError } from "@alipayhk/service-kit";
import { MAGIC_BUYER_CODES } from "./buyers";
import { parseDuration } from "./clock";
import { DEFAULT_MD5_KEY, DEFAULT_PARTNER, type SandboxOptions, type SandboxPartnerOptions } from "./options";
import { startSandbox, type RunningSandbox } from "./server";

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The default port of the command (in-process `startSandbox` picks a random one). */
export const DEFAULT_CLI_PORT = 4010;

type Env = Record<string, string | undefined>;

const PARTNER_SPEC = /^(2088[0-9]{12})(?::([A-Za-z0-9]{16,64})?)?(?::(MD5|RSA|RSA2))?$/;

/** `pid[:md5-key[:sign-type]],...` of `--partner` (repeated) or `ALIPAYHK_SANDBOX_PARTNERS`; never echoes a key. */
function parsePartners(raw: string, fail: (expected: string, got?: string) => never): SandboxPartnerOptions[] {
  const seen = new Set<string>();
  return raw.split(",").map((text) => {
    const m = PARTNER_SPEC.exec(text.trim());
    if (!m) {
      const pid = text.trim().split(":")[0]!;
      if (!/^2088[0-9]{12}$/.test(pid)) fail("16 digits starting with 2088", JSON.stringify(pid));
      fail("<pid>[:<md5-key>[:<sign-type>]] with a 16-64 letter-and-digit key and MD5, RSA or RSA2", JSON.stringify(`${pid}:…`));
    }
    if (seen.has(m[1]!)) fail("each partner once", `${m[1]} twice`);
    seen.add(m[1]!);
    const spec: SandboxPartnerOptions = { partner: m[1]! };
    if (m[2]) spec.md5Key = m[2];
    if (m[3]) spec.signType = m[3] as SandboxPartnerOptions["signType"];
    return spec;
  });
}

function keyFile(raw: string, fail: (expected: string, got?: string) => never): string {
  try {
    return readFileSync(raw, "utf8");
  } catch (error) {
    return fail(`a readable key file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

const decimal =
  (min: number, max: number) =>
  (raw: string, fail: (expected: string) => never): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) fail(`a number from ${min} to ${max}`);
    return n;
  };

const duration =
  (expected: string, max = Number.POSITIVE_INFINITY) =>
  (raw: string, fail: (expected: string) => never): number => {
    const ms = parseDuration(raw);
    if (ms === undefined || ms < 0 || ms > max || !Number.isInteger(ms)) fail(expected);
    return ms!;
  };

/**
 * The command's settings, each once: flag, variable, meaning, default, check. Options left unset
 * are not passed to `startSandbox`, which applies its own defaults (shown here for `--help`).
 */
export const SANDBOX_SETTINGS = {
  port: setting({ flag: "--port", env: "ALIPAYHK_SANDBOX_PORT", meaning: "TCP port; 0 picks a free one", default: DEFAULT_CLI_PORT, parse: parse.port }),
  host: setting({ flag: "--host", env: "ALIPAYHK_SANDBOX_HOST", meaning: "interface to listen on", defaultText: "127.0.0.1", parse: parse.text }),
  partners: setting({
    flag: "--partner",
    env: "ALIPAYHK_SANDBOX_PARTNERS",
    repeatable: true,
    secret: true,
    meaning:
      "<pid>[:<md5-key>[:<sign-type>]]: a partner id, 16 digits starting with 2088. Repeat it (or list them with commas) to serve several partners " +
      "under the one Alipay key: the first is the main partner (--md5-key, --sign-type and --merchant-public-key apply to it), each further one may " +
      "give its own MD5 key and sign type after colons (RSA/RSA2 generate its key pair)",
    defaultText: DEFAULT_PARTNER,
    parse: parsePartners,
  }),
  md5Key: setting({
    flag: "--md5-key",
    env: "ALIPAYHK_SANDBOX_MD5_KEY",
    secret: true,
    meaning: "the main partner's MD5 key, 16-64 letters and digits; the default is the spec's test key",
    defaultText: DEFAULT_MD5_KEY,
    parse: (raw, fail) => (/^[A-Za-z0-9]{16,64}$/.test(raw) ? raw : fail("16-64 letters and digits (the portal's key has 32)")),
  }),
  signType: setting({
    flag: "--sign-type",
    env: "ALIPAYHK_SANDBOX_SIGN_TYPE",
    meaning: "MD5, RSA or RSA2; RSA/RSA2 without --merchant-public-key generates a merchant key pair and prints its private key",
    defaultText: "MD5",
    parse: (raw, fail): SignType => (isSignType(raw) ? raw : fail("MD5, RSA or RSA2")),
  }),
  merchantPublicKey: setting({
    flag: "--merchant-public-key",
    env: "ALIPAYHK_SANDBOX_MERCHANT_PUBLIC_KEY_FILE",
    meaning: "file with the merchant's RSA public key (PEM or base64)",
    parse: keyFile,
  }),
  alipayPrivateKey: setting({
    flag: "--alipay-private-key",
    env: "ALIPAYHK_SANDBOX_ALIPAY_PRIVATE_KEY_FILE",
    meaning: 'file with the sandbox\'s own "Alipay" RSA private key',
    defaultText: "generated",
    parse: keyFile,
  }),
  stateFile: setting({
    flag: "--state-file",
    env: "ALIPAYHK_SANDBOX_STATE_FILE",
    meaning: "keep the ledger in this JSON file across restarts",
    parse: parse.text,
  }),
  filesDir: setting({
    flag: "--files-dir",
    env: "ALIPAYHK_SANDBOX_FILES_DIR",
    meaning: "also write the reconciliation files into this folder",
    parse: parse.text,
  }),
  notifyTimeScale: setting({
    flag: "--notify-time-scale",
    env: "ALIPAYHK_SANDBOX_NOTIFY_TIME_SCALE",
    meaning: "real ms per sandbox ms for notification retries",
    defaultText: "1",
    parse: decimal(0, 1000),
  }),
  barcodeWaitMs: setting({
    flag: "--barcode-wait",
    env: "ALIPAYHK_SANDBOX_BARCODE_WAIT",
    meaning: 'delay of the "wait" buyer code, e.g. 5s',
    defaultText: "5s",
    parse: duration('a duration like "5s" or "500ms"'),
  }),
  heldChargeMs: setting({
    flag: "--held-charge",
    env: "ALIPAYHK_SANDBOX_HELD_CHARGE",
    meaning: 'how long the "held" buyer code\'s charge is held, e.g. 3s',
    defaultText: "3s",
    parse: duration('a duration up to 10m like "3s" or "500ms"', 600_000),
  }),
  feeRate: setting({
    flag: "--fee-rate",
    env: "ALIPAYHK_SANDBOX_FEE_RATE",
    meaning: "fee rate in the files, e.g. 0.015",
    defaultText: "0.015",
    parse: decimal(0, 0.5),
  }),
  refundPeriodDays: setting({
    flag: "--refund-period-days",
    env: "ALIPAYHK_SANDBOX_REFUND_PERIOD_DAYS",
    meaning: "refund period, days",
    defaultText: "365",
    parse: decimal(0, 3650),
  }),
  signFailures: setting({
    flag: "--sign-failures",
    env: "ALIPAYHK_SANDBOX_SIGN_FAILURES",
    isSwitch: true,
    meaning: "sign is_success=F replies over error=<code>",
    default: false,
    parse: parse.boolean,
  }),
  quiet: setting({ flag: "--quiet", env: "ALIPAYHK_SANDBOX_QUIET", isSwitch: true, meaning: "no per-request log lines", default: false, parse: parse.boolean }),
};

/** `alipayhk sandbox --help`, generated from {@link SANDBOX_SETTINGS}. */
export const SANDBOX_USAGE = renderHelp(SANDBOX_SETTINGS, {
  usage: "alipayhk sandbox [options]",
  summary: "Runs a local Alipay HK gateway (gateway.do) with state, notifications, a wallet page and reconciliation files, until stopped with Ctrl+C.",
  options: [["-h, --help", "show this help"]],
});

/**
 * Reads the flags (which win) and the `ALIPAYHK_SANDBOX_*` variables into sandbox options; a bad
 * one throws a one-line {@link SettingError} naming it.
 */
export function parseSandboxArgs(argv: string[], env: Env = process.env): { help: boolean; quiet: boolean; options: SandboxOptions } {
  const { values, rest } = readSettings(SANDBOX_SETTINGS, { env, argv });
  const help = rest.some((arg) => arg === "-h" || arg === "--help");
  const unknown = rest.find((arg) => arg !== "-h" && arg !== "--help");
  if (unknown !== undefined) {
    const name = unknown.startsWith("--") ? unknown.split("=")[0]! : unknown;
    throw new SettingError(`${name}: unknown option; run "alipayhk sandbox --help" for the list`, { field: name });
  }
  const [main, ...extra] = values.partners ?? [];
  if (values.md5Key !== undefined && main?.md5Key) {
    throw new SettingError("--md5-key: the first --partner already gives its MD5 key; give it once", { field: "--md5-key" });
  }
  const options: SandboxOptions = {
    port: values.port,
    host: values.host,
    partner: main?.partner,
    md5Key: values.md5Key ?? main?.md5Key,
    signType: values.signType ?? main?.signType,
    partners: extra.length > 0 ? extra : undefined,
    merchantPublicKey: values.merchantPublicKey,
    alipayPrivateKey: values.alipayPrivateKey,
    stateFile: values.stateFile,
    filesDir: values.filesDir,
    notifyTimeScale: values.notifyTimeScale,
    barcodeWaitMs: values.barcodeWaitMs,
    heldChargeMs: values.heldChargeMs,
    feeRate: values.feeRate,
    refundPeriodDays: values.refundPeriodDays,
    signFailures: values.signFailures || undefined,
  };
  for (const name of Object.keys(options) as Array<keyof SandboxOptions>) if (options[name] === undefined) delete options[name];
  return { help, quiet: values.quiet, options };
}

/** The startup banner: where the gateway is and which test keys a client needs. */
export function sandboxBanner(sandbox: RunningSandbox): string {
  const lines = [
    "Alipay HK sandbox is running (test keys only; nothing here moves real money)",
    `  Gateway URL:  ${sandbox.gatewayUrl}`,
    `  Wallet page:  ${sandbox.walletUrl}`,
    `  Admin routes: ${sandbox.url}/sandbox/ (trades, notifications, faults, clock, files)`,
  ];
  for (const partner of sandbox.partners) {
    lines.push(`  Partner:      ${partner.partner} (sign type ${partner.signType})`, `  MD5 key:      ${partner.md5Key}`);
    if (partner.merchantPrivateKeyPem) {
      lines.push(
        "  Merchant private key (sign your requests with it):",
        ...partner.merchantPrivateKeyPem
          .trim()
          .split("\n")
          .map((l) => `    ${l}`),
      );
    }
  }
  lines.push(
    `  Alipay public key (verifies RSA/RSA2 replies; also at ${sandbox.url}/sandbox/alipay-public-key):`,
    `    ${toBareBase64(sandbox.alipayPublicKeyPem)}`,
  );
  lines.push("  Magic buyer codes (alipay.acquire.overseas.spot.pay buyer_identity_code):");
  for (const magic of MAGIC_BUYER_CODES) lines.push(`    ${magic.code}  ${magic.description}`);
  lines.push("  Any other 16-24 digit code starting with 25-30 pays from an AlipayHK wallet.", "Press Ctrl+C to stop.");
  return `${lines.join("\n")}\n`;
}

/**
 * Runs the `sandbox` command: `--help` prints usage (0); a bad flag or variable prints one line
 * naming it (2); otherwise it starts the sandbox and resolves with 0 once SIGINT/SIGTERM (or `signal`)
 * stopped it.
 *
 * @example
 * // in a CLI's dispatcher
 * process.exitCode = await runSandboxCommand(["--port", "4010", "--sign-type", "RSA2"], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runSandboxCommand(argv: string[], io: CommandIo, control: { signal?: AbortSignal; env?: Env } = {}): Promise<number> {
  let parsed: ReturnType<typeof parseSandboxArgs>;
  try {
    parsed = parseSandboxArgs(argv, control.env ?? process.env);
  } catch (error) {
    if (error instanceof SettingError) {
      io.stderr.write(`alipayhk sandbox: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (parsed.help) {
    io.stdout.write(SANDBOX_USAGE);
    return 0;
  }
  const log = parsed.quiet ? undefined : (line: string) => io.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ ...parsed.options, log });
  } catch (error) {
    if (error instanceof AlipayConfigError) {
      io.stderr.write(`alipayhk sandbox: ${error.message}\n`);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      io.stderr.write(
        `alipayhk sandbox: --port: cannot listen on ${parsed.options.host ?? "127.0.0.1"}:${parsed.options.port} (${code}); pick another port or --port 0\n`,
      );
      return 1;
    }
    io.stderr.write(`alipayhk sandbox: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(sandboxBanner(sandbox));

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      control.signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (control.signal?.aborted) stop();
    else control.signal?.addEventListener("abort", stop);
  });
  await sandbox.close();
  io.stdout.write("Alipay HK sandbox stopped.\n");
  return 0;
}
