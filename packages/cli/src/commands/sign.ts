import {
  AlipayError,
  canonicalize,
  encodeForCharset,
  nodeCryptoSigner,
  parseForm,
  parsePrivateKey,
  parsePublicKey,
  readInlineOrFile,
  verifyParams,
  type SignKey,
  type SignType,
  type VerifyKey,
} from "@alipayhk/core";
import { parseFlags, parsePairs } from "../args";
import { pick, resolveSignType } from "../config";
import { readAll, UsageError, type CommandIo } from "../io";

export const SIGN_HELP = `Usage: alipayhk sign --sign-type MD5 --md5-key KEY name=value ...
       alipayhk sign --sign-type RSA|RSA2 --private-key FILE name=value ...
       echo 'a=1&b=2' | alipayhk sign --sign-type MD5 --md5-key KEY

Signs gateway parameters with the one canonical string (spec §4.1: drop sign, sign_type and empty
values, sort, join raw name=value with &) and prints {"canonical": "...", "sign": "..."}.
Parameters come as name=value arguments, or as a form string on stdin.

Options:
  --sign-type MD5|RSA|RSA2   default: ALIPAYHK_SIGN_TYPE or MD5
  --md5-key KEY              ALIPAYHK_MD5_KEY
  --private-key FILE|PEM     ALIPAYHK_PRIVATE_KEY (PKCS#8 or PKCS#1, PEM or base64 DER)
  -h, --help                 show this help`;

async function paramsFrom(positionals: string[], io: CommandIo): Promise<Record<string, string>> {
  if (positionals.length > 0) return parsePairs(positionals);
  if (io.stdin && !io.stdin.isTTY) {
    const body = (await readAll(io.stdin)).toString("utf8").trim();
    if (body !== "") return parseForm(body);
  }
  throw new UsageError("parameters: expected name=value arguments or a form string on stdin");
}

/**
 * The key for `sign` (MD5 key or merchant private key) or `verify` (MD5 key or Alipay's public
 * key), from its flag or environment variable; problems become one-line usage errors.
 */
function keyFromFlags(role: "sign", signType: SignType, values: Record<string, string | undefined>, env: NodeJS.ProcessEnv): SignKey;
function keyFromFlags(role: "verify", signType: SignType, values: Record<string, string | undefined>, env: NodeJS.ProcessEnv): VerifyKey;
function keyFromFlags(role: "sign" | "verify", signType: SignType, values: Record<string, string | undefined>, env: NodeJS.ProcessEnv): SignKey | VerifyKey {
  if (signType === "MD5") {
    const md5Key = pick(values["md5-key"], env, "ALIPAYHK_MD5_KEY");
    if (!md5Key) throw new UsageError("--md5-key: required for sign type MD5 (or set ALIPAYHK_MD5_KEY)");
    return { md5Key };
  }
  const [flag, variable] = role === "sign" ? ["--private-key", "ALIPAYHK_PRIVATE_KEY"] : ["--alipay-public-key", "ALIPAYHK_ALIPAY_PUBLIC_KEY"];
  const value = pick(values[flag.slice(2)], env, variable);
  if (!value) throw new UsageError(`${flag}: required for sign type ${signType} (or set ${variable})`);
  try {
    const text = readInlineOrFile(value, flag, "key");
    return role === "sign" ? { privateKey: parsePrivateKey(text, flag) } : { publicKey: parsePublicKey(text, flag) };
  } catch (error) {
    if (error instanceof AlipayError) throw new UsageError(error.message);
    throw error;
  }
}

export async function signCommand(args: string[], io: CommandIo): Promise<number> {
  const { values: flags, positionals } = parseFlags(
    args,
    { "sign-type": { type: "string" }, "md5-key": { type: "string" }, "private-key": { type: "string" } },
    true,
  );
  const values = flags as Record<string, string | undefined> & { help?: boolean };
  if (values.help) {
    io.stdout.write(`${SIGN_HELP}\n`);
    return 0;
  }
  const env = io.env ?? process.env;
  const signType = resolveSignType(pick(values["sign-type"], env, "ALIPAYHK_SIGN_TYPE"));
  const key = keyFromFlags("sign", signType, values, env);
  const params = await paramsFrom(positionals, io);
  const canonical = canonicalize(params);
  const sign = nodeCryptoSigner.sign(signType, encodeForCharset(canonical, params._input_charset), key);
  io.stdout.write(`${JSON.stringify({ canonical, sign })}\n`);
  return 0;
}

export const VERIFY_HELP = `Usage: alipayhk verify --sign-type MD5 --md5-key KEY < notification.txt
       alipayhk verify --sign-type RSA|RSA2 --alipay-public-key FILE < notification.txt

Reads a form body (an Alipay notification) on stdin and checks its sign over the canonical string.
Exit 0 and "valid" when it verifies; exit 1 with the reason on stderr when it does not.

Options:
  --sign-type MD5|RSA|RSA2    default: ALIPAYHK_SIGN_TYPE or MD5; a body signed otherwise is refused
  --md5-key KEY               ALIPAYHK_MD5_KEY
  --alipay-public-key FILE|PEM ALIPAYHK_ALIPAY_PUBLIC_KEY
  -h, --help                  show this help`;

export async function verifyCommand(args: string[], io: CommandIo): Promise<number> {
  const { values: flags } = parseFlags(args, { "sign-type": { type: "string" }, "md5-key": { type: "string" }, "alipay-public-key": { type: "string" } });
  const values = flags as Record<string, string | undefined> & { help?: boolean };
  if (values.help) {
    io.stdout.write(`${VERIFY_HELP}\n`);
    return 0;
  }
  const env = io.env ?? process.env;
  const signType = resolveSignType(pick(values["sign-type"], env, "ALIPAYHK_SIGN_TYPE"));
  const key = keyFromFlags("verify", signType, values, env);
  if (!io.stdin || io.stdin.isTTY) throw new UsageError("stdin: expected the notification's form body piped in");
  const body = (await readAll(io.stdin)).toString("utf8").trim();
  if (body === "") throw new UsageError("stdin: expected the notification's form body, got nothing");
  const verdict = verifyParams(parseForm(body), key, { expectedSignType: signType });
  if (verdict.ok) {
    io.stdout.write("valid\n");
    return 0;
  }
  const reasons = {
    missing_sign: "the body has no sign",
    bad_sign_type: "the body's sign_type is not MD5, RSA or RSA2",
    sign_type_mismatch: `the body is not signed with ${signType}`,
    bad_signature: "the signature does not match the parameters",
  } as const;
  io.stderr.write(`invalid: ${reasons[verdict.reason]}\n`);
  return 1;
}
