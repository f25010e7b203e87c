import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildSignedNotification } from "@alipayhk/core/testing";
import { generateRsaKeyPair, toBareBase64 } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { main } from "./main";

const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";

async function run(argv: string[], stdin?: string, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  let input: (PassThrough & { isTTY?: boolean }) | undefined;
  if (stdin !== undefined) {
    input = new PassThrough();
    input.end(stdin);
  }
  const code = await main(argv, { stdout, stderr, stdin: input, env });
  return { code, out, err };
}

// Spec §4.4 V1 as name=value arguments.
const V1 = [
  "service=alipay.acquire.overseas.spot.pay",
  "partner=2088101122136241",
  "_input_charset=UTF-8",
  "alipay_seller_id=2088101122136241",
  "quantity=1",
  "trans_name=Mika's coffee shop",
  "partner_trans_id=TRADE_20240101120000001",
  "currency=HKD",
  "trans_amount=12.30",
  "buyer_identity_code=281234567890123456",
  "identity_code_type=barcode",
  "trans_create_time=20240101120000",
  "memo=",
  "biz_product=OVERSEAS_MBARCODE_PAY",
  'extend_info={"secondary_merchant_name":"Lotte","secondary_merchant_id":"123","secondary_merchant_industry":"5812","store_id":"A101","store_name":"McDonald in 966 3rd Ave, New York"}',
];

describe("alipayhk sign", () => {
  it("reproduces spec §4.4 V1", async () => {
    const { code, out } = await run(["sign", "--sign-type", "MD5", "--md5-key", MD5_KEY, ...V1]);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.sign).toBe("e70ce81141310bd17f648732bcbac8d7");
    expect(result.canonical.startsWith("_input_charset=UTF-8&alipay_seller_id=")).toBe(true);
  });
  it("takes the parameters as a form string on stdin", async () => {
    const form = new URLSearchParams(V1.map((p): [string, string] => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)])).toString();
    const { code, out } = await run(["sign", "--md5-key", MD5_KEY], form);
    expect(code).toBe(0);
    expect(JSON.parse(out).sign).toBe("e70ce81141310bd17f648732bcbac8d7");
  });
  it("signs RSA2 with a key file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-cli-"));
    const keys = generateRsaKeyPair();
    writeFileSync(join(dir, "merchant.pem"), keys.privateKeyPem);
    const { code, out } = await run(["sign", "--sign-type", "RSA2", "--private-key", join(dir, "merchant.pem"), "a=1", "b=2"]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ canonical: "a=1&b=2" });
  });
});

describe("alipayhk verify", () => {
  const fields = { notify_id: "n1", notify_type: "trade_status_sync", out_trade_no: "o1", trade_status: "TRADE_SUCCESS", total_fee: "1.00" };
  it("exits 0 for a valid notification and 1 with the reason for a tampered one", async () => {
    const body = buildSignedNotification(fields, { signType: "MD5", md5Key: MD5_KEY });
    expect(await run(["verify", "--md5-key", MD5_KEY], body)).toMatchObject({ code: 0, out: "valid\n" });
    const bad = await run(["verify", "--md5-key", MD5_KEY], body.replace("total_fee=1.00", "total_fee=9.00"));
    expect(bad).toMatchObject({ code: 1, err: "invalid: the signature does not match the parameters\n" });
  });
  it("verifies RSA with Alipay's public key given inline as base64", async () => {
    const alipay = generateRsaKeyPair();
    const body = buildSignedNotification(fields, { signType: "RSA", privateKey: alipay.privateKeyPem });
    expect((await run(["verify", "--sign-type", "RSA", "--alipay-public-key", toBareBase64(alipay.publicKeyPem)], body)).code).toBe(0);
  });
});

describe("bad input: one clear line, exit 2", () => {
  const cases: Array<[string, string[], RegExp, string?]> = [
    ["missing key", ["sign", "a=1"], /^alipayhk: --md5-key: required for sign type MD5/],
    ["malformed k=v", ["sign", "--md5-key", MD5_KEY, "novalue"], /^alipayhk: argument "novalue": expected name=value$/],
    [
      "unreadable key file",
      ["sign", "--sign-type", "RSA2", "--private-key", "/no/such/key.pem", "a=1"],
      /^alipayhk: --private-key: cannot read file "\/no\/such\/key.pem"/,
    ],
    [
      "public key as private key",
      ["sign", "--sign-type", "RSA2", `--private-key=${generateRsaKeyPair(1024).publicKeyPem}`, "a=1"],
      /^alipayhk: --private-key: this is a public key/,
    ],
    ["bad sign type", ["sign", "--sign-type", "SHA1", "--md5-key", MD5_KEY, "a=1"], /^alipayhk: --sign-type: expected MD5, RSA or RSA2/],
    ["unknown flag", ["sign", "--nope"], /^alipayhk: Unknown option '--nope'/],
    ["unknown command", ["pai"], /^alipayhk: command "pai": expected one of/],
    [
      "bad amount",
      [
        "precreate",
        "--gateway",
        "http://127.0.0.1:9",
        "--partner",
        "2088101122136241",
        "--md5-key",
        MD5_KEY,
        "--out-trade-no",
        "o1",
        "--subject",
        "s",
        "--amount",
        "12.3",
      ],
      /^alipayhk: --amount: expected a decimal string with exactly 2 decimals/,
    ],
    [
      "bad partner",
      ["query", "--gateway", "http://127.0.0.1:9", "--partner", "123", "--md5-key", MD5_KEY, "--partner-trans-id", "x"],
      /^alipayhk: --partner: expected 16 digits starting with 2088/,
    ],
    [
      "missing required flag",
      ["refund", "--gateway", "http://127.0.0.1:9", "--partner", "2088101122136241", "--md5-key", MD5_KEY, "--amount", "1.00"],
      /^alipayhk: --partner-trans-id: required/,
    ],
    ["verify without stdin", ["verify", "--md5-key", MD5_KEY], /^alipayhk: stdin: expected/],
  ];
  it.each(cases)("%s", async (_name, argv, pattern) => {
    const { code, err, out } = await run(argv);
    expect(code).toBe(2);
    expect(err.trimEnd()).toMatch(pattern);
    expect(err.trimEnd().split("\n")).toHaveLength(1);
    expect(out).toBe("");
    expect(err).not.toContain("BEGIN");
  });
});

describe("--help everywhere", () => {
  it.each(["sign", "verify", "precreate", "pay", "query", "refund", "cancel", "demo", "sandbox", "recon"])("%s --help", async (command) => {
    const { code, out } = await run([command, "--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: alipayhk/);
  });
  it("top-level help lists every command", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    for (const c of ["sign", "verify", "precreate", "pay", "query", "refund", "cancel", "sandbox", "recon", "demo"]) expect(out).toContain(`  ${c}`);
  });
});

describe("the built bin", () => {
  it("runs from package.json's bin path and exits 2 on bad input", async () => {
    const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
    const ok = await promisify(execFile)(process.execPath, [bin, "sign", "--md5-key", MD5_KEY, ...V1]);
    expect(JSON.parse(ok.stdout).sign).toBe("e70ce81141310bd17f648732bcbac8d7");
    const bad = await promisify(execFile)(process.execPath, [bin, "sign", "x"]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/^alipayhk: /);
  });
});
