/**
 * `alipayhk sandbox` / `alipayhk-sandbox`: starts the sandbox, prints where it is and which test
 * keys to give the client, logs one line per request, and stops on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { AlipayConfigError, isSignType, toBareBase64 } from "@alipayhk/core";
import { MAGIC_BUYER_CODES } from "./buyers";
import { parseDuration } from "./clock";
import type { SandboxOptions, SandboxPartnerOptions } from "./options";
import { startSandbox, type RunningSandbox } from "./server";

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The default port of the command (in-process `startSandbox` picks a random one). */
export const DEFAULT_CLI_PORT = 4010;

export const SANDBOX_USAGE = `Usage: alipayhk sandbox [options]

Runs a local Alipay HK gateway (gateway.do) with state, notifications, a wallet page and
reconciliation files, until stopped with Ctrl+C.

Options:
  --port <n>                 TCP port (default ${DEFAULT_CLI_PORT}; 0 picks a free one)
  --host <host>              interface to listen on (default 127.0.0.1)
  --partner <pid>[:<md5-key>[:<sign-type>]]
                             partner id, 16 digits starting with 2088 (default 2088101122136241);
                             repeat it to serve several partners under the one Alipay key: the
                             first is the main partner (--md5-key, --sign-type and
                             --merchant-public-key apply to it), each further one may give its own
                             MD5 key and sign type after colons (RSA/RSA2 generate its key pair)
  --md5-key <key>            MD5 key (default 0123456789abcdefghijklmnopqrstuv, the spec's test key)
  --sign-type <t>            MD5, RSA or RSA2 (default MD5); RSA/RSA2 without --merchant-public-key
                             generates a merchant key pair and prints its private key
  --merchant-public-key <f>  file with the merchant's RSA public key (PEM or base64)
  --alipay-private-key <f>   file with the sandbox's own "Alipay" RSA private key (default: generated)
  --state-file <f>           keep the ledger in this JSON file across restarts
  --files-dir <dir>          also write the reconciliation files into this folder
  --notify-time-scale <x>    real ms per sandbox ms for notification retries (default 1)
  --barcode-wait <d>         delay of the "wait" buyer code, e.g. 5s (default 5s)
  --held-charge <d>          how long the "held" buyer code's charge is held, e.g. 3s (default 3s)
  --fee-rate <r>             fee rate in the files, e.g. 0.015 (default 0.015)
  --refund-period-days <n>   refund period (default 365)
  --sign-failures            sign is_success=F replies over error=<code>
  --quiet                    no per-request log lines
  -h, --help                 show this help
`;

class UsageError extends Error {}

type Flag = { name: string; value?: boolean; repeat?: boolean };

const FLAGS: Record<string, Flag> = {
  "--port": { name: "port" },
  "--host": { name: "host" },
  "--partner": { name: "partner", repeat: true },
  "--md5-key": { name: "md5Key" },
  "--sign-type": { name: "signType" },
  "--merchant-public-key": { name: "merchantPublicKey" },
  "--alipay-private-key": { name: "alipayPrivateKey" },
  "--state-file": { name: "stateFile" },
  "--files-dir": { name: "filesDir" },
  "--notify-time-scale": { name: "notifyTimeScale" },
  "--barcode-wait": { name: "barcodeWait" },
  "--fee-rate": { name: "feeRate" },
  "--held-charge": { name: "heldCharge" },
  "--refund-period-days": { name: "refundPeriodDays" },
  "--sign-failures": { name: "signFailures", value: false },
  "--quiet": { name: "quiet", value: false },
};

function readKeyFile(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${flag}: expected a readable key file, could not read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

const PARTNER_SPEC = /^(2088[0-9]{12})(?::([A-Za-z0-9]{16,64})?)?(?::(MD5|RSA|RSA2))?$/;

/** `pid[:md5-key[:sign-type]]` of one `--partner`. */
function parsePartnerSpec(text: string): SandboxPartnerOptions {
  const m = PARTNER_SPEC.exec(text);
  if (!m) {
    const pid = text.split(":")[0]!;
    if (!/^2088[0-9]{12}$/.test(pid)) throw new UsageError(`--partner: expected 16 digits starting with 2088, got ${JSON.stringify(pid)}`);
    throw new UsageError(`--partner: expected <pid>[:<md5-key>[:<sign-type>]] with a 16-64 letter-and-digit key and MD5, RSA or RSA2, got ${JSON.stringify(text.replace(/:[^:]*/, ":…"))}`);
  }
  const spec: SandboxPartnerOptions = { partner: m[1]! };
  if (m[2]) spec.md5Key = m[2];
  if (m[3]) spec.signType = m[3] as SandboxPartnerOptions["signType"];
  return spec;
}

/** Parses the flags into sandbox options; a bad flag throws a one-line UsageError naming it. */
export function parseSandboxArgs(argv: string[]): { help: boolean; quiet: boolean; options: SandboxOptions } {
  const raw: Record<string, string | true> = {};
  const partnerSpecs: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[flag];
    if (!spec) throw new UsageError(`${flag}: unknown option; run "alipayhk sandbox --help" for the list`);
    if (spec.value === false) {
      if (eq > 0) throw new UsageError(`${flag}: takes no value`);
      raw[spec.name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`${flag}: expected a value`);
    if (spec.repeat) partnerSpecs.push(value);
    else raw[spec.name] = value;
  }
  const options: SandboxOptions = { port: DEFAULT_CLI_PORT };
  const str = (name: string) => raw[name] as string | undefined;
  const num = (flag: string, name: string, min: number, max: number, integer: boolean): number | undefined => {
    const text = str(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new UsageError(`${flag}: expected ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
  options.port = num("--port", "port", 0, 65535, true) ?? DEFAULT_CLI_PORT;
  if (str("host") !== undefined) options.host = str("host");
  const parsedPartners = partnerSpecs.map(parsePartnerSpec);
  const [main, ...extra] = parsedPartners;
  if (main) {
    options.partner = main.partner;
    if (main.md5Key) options.md5Key = main.md5Key;
    if (main.signType) options.signType = main.signType;
  }
  const seen = new Set<string>();
  for (const p of parsedPartners) {
    if (seen.has(p.partner)) throw new UsageError(`--partner: ${p.partner} is given twice`);
    seen.add(p.partner);
  }
  if (extra.length > 0) options.partners = extra;
  const md5Key = str("md5Key");
  if (md5Key !== undefined && main?.md5Key) throw new UsageError("--md5-key: the first --partner already gives its MD5 key; give it once");
  if (md5Key !== undefined) {
    if (!/^[A-Za-z0-9]{16,64}$/.test(md5Key)) throw new UsageError("--md5-key: expected 16-64 letters and digits (the portal's key has 32)");
    options.md5Key = md5Key;
  }
  const signType = str("signType");
  if (signType !== undefined) {
    if (!isSignType(signType)) throw new UsageError(`--sign-type: expected MD5, RSA or RSA2, got ${JSON.stringify(signType)}`);
    options.signType = signType;
  }
  if (str("merchantPublicKey") !== undefined) options.merchantPublicKey = readKeyFile("--merchant-public-key", str("merchantPublicKey")!);
  if (str("alipayPrivateKey") !== undefined) options.alipayPrivateKey = readKeyFile("--alipay-private-key", str("alipayPrivateKey")!);
  if (str("stateFile") !== undefined) options.stateFile = str("stateFile");
  if (str("filesDir") !== undefined) options.filesDir = str("filesDir");
  options.notifyTimeScale = num("--notify-time-scale", "notifyTimeScale", 0, 1000, false);
  options.feeRate = num("--fee-rate", "feeRate", 0, 0.5, false);
  options.refundPeriodDays = num("--refund-period-days", "refundPeriodDays", 0, 3650, false);
  const wait = str("barcodeWait");
  if (wait !== undefined) {
    const ms = parseDuration(wait);
    if (ms === undefined || ms < 0) throw new UsageError(`--barcode-wait: expected a duration like "5s" or "500ms", got ${JSON.stringify(wait)}`);
    options.barcodeWaitMs = ms;
  }
  const held = str("heldCharge");
  if (held !== undefined) {
    const ms = parseDuration(held);
    if (ms === undefined || ms < 0 || ms > 600_000 || !Number.isInteger(ms)) throw new UsageError(`--held-charge: expected a duration up to 10m like "3s" or "500ms", got ${JSON.stringify(held)}`);
    options.heldChargeMs = ms;
  }
  if (raw.signFailures) options.signFailures = true;
  for (const name of Object.keys(options) as Array<keyof SandboxOptions>) if (options[name] === undefined) delete options[name];
  return { help, quiet: raw.quiet === true, options };
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
      lines.push("  Merchant private key (sign your requests with it):", ...partner.merchantPrivateKeyPem.trim().split("\n").map((l) => `    ${l}`));
    }
  }
  lines.push(`  Alipay public key (verifies RSA/RSA2 replies; also at ${sandbox.url}/sandbox/alipay-public-key):`, `    ${toBareBase64(sandbox.alipayPublicKeyPem)}`);
  lines.push("  Magic buyer codes (alipay.acquire.overseas.spot.pay buyer_identity_code):");
  for (const magic of MAGIC_BUYER_CODES) lines.push(`    ${magic.code}  ${magic.description}`);
  lines.push("  Any other 16-24 digit code starting with 25-30 pays from an AlipayHK wallet.", "Press Ctrl+C to stop.");
  return `${lines.join("\n")}\n`;
}

/**
 * Runs the `sandbox` command: `--help` prints usage (0); a bad flag prints one line naming it
 * (2); otherwise it starts the sandbox and resolves with 0 once SIGINT/SIGTERM (or `signal`)
 * stopped it.
 *
 * @example
 * // in a CLI's dispatcher
 * process.exitCode = await runSandboxCommand(["--port", "4010", "--sign-type", "RSA2"], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runSandboxCommand(argv: string[], io: CommandIo, control: { signal?: AbortSignal } = {}): Promise<number> {
  let parsed: ReturnType<typeof parseSandboxArgs>;
  try {
    parsed = parseSandboxArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
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
      io.stderr.write(`alipayhk sandbox: --port: cannot listen on ${parsed.options.host ?? "127.0.0.1"}:${parsed.options.port} (${code}); pick another port or --port 0\n`);
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
