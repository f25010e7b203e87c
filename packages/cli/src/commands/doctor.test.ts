/**
 * `alipayhk doctor` against the sandbox over HTTP, one test per diagnosed failure: the sandbox (or
 * the configuration) carries the mistake, and the test checks the sentence a merchant reads.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { generateRsaKeyPair, runDoctor, toBareBase64 } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "@alipayhk/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main";

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(["doctor", ...argv], { stdout, stderr, env });
  return { code, out, err };
}

const B = "2088000000000077";
const B_KEY = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const RSA_ONLY = "2088000000000066";
let sandbox: RunningSandbox;
let rsa: RunningSandbox;
let gbk: RunningSandbox;
const rsaOnlyKeys = generateRsaKeyPair();

beforeAll(async () => {
  sandbox = await startSandbox({ partners: [{ partner: B, md5Key: B_KEY }] });
  rsa = await startSandbox({
    signType: "RSA2",
    partners: [{ partner: RSA_ONLY, signType: "RSA", merchantPrivateKey: rsaOnlyKeys.privateKeyPem, signTypes: ["RSA"] }],
  });
  gbk = await startSandbox({ verifyCharset: "GBK" });
});
afterAll(async () => {
  await Promise.all([sandbox.close(), rsa.close(), gbk.close()]);
});

const md5 = (s: RunningSandbox, extra: string[] = []) => ["--gateway", s.gatewayUrl, "--partner", s.partner, "--md5-key", s.md5Key, ...extra];
const rsaArgs = (s: RunningSandbox, signType = "RSA2", extra: string[] = []) => [
  "--gateway",
  s.gatewayUrl,
  "--partner",
  s.partner,
  "--sign-type",
  signType,
  `--private-key=${s.merchantPrivateKeyPem!}`,
  `--alipay-public-key=${s.alipayPublicKey}`,
  ...extra,
];

describe("alipayhk doctor: all good", () => {
  it("MD5 against the sandbox: every check ok, exit 0", async () => {
    const r = await run(md5(sandbox));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ok       signed-query      the gateway accepted an MD5-signed query from partner ${sandbox.partner}`);
    expect(r.out).toContain("ok       reply-signature   the reply's MD5 signature verifies with --md5-key.");
    expect(r.out).toContain("ok       charset           Chinese text is signed and checked in the same charset (UTF-8).");
    expect(r.out.trimEnd().split("\n").at(-1)).toBe("No problems found.");
  });

  it("RSA2 from the ALIPAYHK_* variables, named by variable", async () => {
    const r = await run([], {
      ALIPAYHK_GATEWAY: rsa.gatewayUrl,
      ALIPAYHK_PARTNER: rsa.partner,
      ALIPAYHK_SIGN_TYPE: "RSA2",
      ALIPAYHK_PRIVATE_KEY: rsa.merchantPrivateKeyPem!,
      ALIPAYHK_ALIPAY_PUBLIC_KEY: rsa.alipayPublicKey,
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain("the reply's RSA2 signature verifies with ALIPAYHK_ALIPAY_PUBLIC_KEY.");
  });
});

describe("alipayhk doctor: each classic failure, in the words a merchant reads", () => {
  it("a wrong MD5 key: ILLEGAL_SIGN", async () => {
    const r = await run(["--gateway", sandbox.gatewayUrl, "--partner", sandbox.partner, "--md5-key", "ffffffffffffffffffffffffffffffff"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `PROBLEM  signed-query      ILLEGAL_SIGN: the gateway refuses the MD5 signature: --md5-key is not the MD5 key of partner ${sandbox.partner} on this gateway. Either the key belongs to another partner (check --partner is the PID shown next to this key on the portal), it is the key of another environment (sandbox vs production), or it was copied incompletely.`,
    );
    expect(r.out).not.toContain("ffffffffffffffffffffffffffffffff");
    expect(r.out.trimEnd().split("\n").at(-1)).toBe("1 problem found.");
  });

  it("a partner mismatch: partner B with partner A's key is refused as B's signature", async () => {
    const r = await run(["--gateway", sandbox.gatewayUrl, "--partner", B, "--md5-key", sandbox.md5Key]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `ILLEGAL_SIGN: the gateway refuses the MD5 signature: --md5-key is not the MD5 key of partner ${B} on this gateway. Either the key belongs to another partner`,
    );
  });

  it("ILLEGAL_PARTNER: a partner the gateway does not know", async () => {
    const r = await run(["--gateway", sandbox.gatewayUrl, "--partner", "2088999999999999", "--md5-key", sandbox.md5Key]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "PROBLEM  signed-query      ILLEGAL_PARTNER: the gateway does not know partner 2088999999999999. Check --partner is the PID of this environment (a sandbox PID does not exist on production, and the reverse), and --gateway points at the right gateway.",
    );
  });

  it("the merchant's own public key in place of Alipay's: caught offline, and the reply does not verify", async () => {
    const own = toBareBase64(rsa.merchantPublicKeyPem!);
    const args = rsaArgs(rsa).map((a) => (a === `--alipay-public-key=${rsa.alipayPublicKey}` ? `--alipay-public-key=${own}` : a));
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'PROBLEM  alipay-public-key --alipay-public-key: this is your own public key (the public half of --private-key), not Alipay\'s. Alipay signs its replies and notifications with its own key: copy the "Alipay public key" from the portal, not the merchant public key you uploaded.',
    );
    expect(r.out).toContain("note     reply-signature   the reply is signed, but --alipay-public-key is missing or unusable, so it was not checked.");
  });

  it("another environment's Alipay key: the reply's signature does not verify", async () => {
    const other = toBareBase64(generateRsaKeyPair().publicKeyPem);
    const r = await run(rsaArgs(rsa).map((a) => (a === `--alipay-public-key=${rsa.alipayPublicKey}` ? `--alipay-public-key=${other}` : a)));
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `PROBLEM  reply-signature   the reply's signature does not verify with --alipay-public-key: it is not the Alipay public key of this gateway. Copy the "Alipay public key" shown for partner ${rsa.partner} on the portal of this environment (the sandbox and production keys differ). Until then every reply and notification will be refused.`,
    );
  });

  it("RSA2 configured, the account is set up for RSA: tells which sign type works", async () => {
    const r = await run([
      "--gateway",
      rsa.gatewayUrl,
      "--partner",
      RSA_ONLY,
      "--sign-type",
      "RSA2",
      `--private-key=${rsaOnlyKeys.privateKeyPem}`,
      `--alipay-public-key=${rsa.alipayPublicKey}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `PROBLEM  signed-query      ILLEGAL_SIGN: the gateway refuses RSA2 signatures from partner ${RSA_ONLY} but accepts RSA with the same key: set --sign-type to RSA. (RSA is SHA1withRSA; the key pair is the same, the portal decides which one your account uses.)`,
    );
  });

  it("an RSA key pair that is not the one registered for the partner", async () => {
    const r = await run([
      "--gateway",
      rsa.gatewayUrl,
      "--partner",
      RSA_ONLY,
      "--sign-type",
      "RSA",
      `--private-key=${rsa.merchantPrivateKeyPem!}`,
      `--alipay-public-key=${rsa.alipayPublicKey}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `ILLEGAL_SIGN: the gateway does not accept your RSA signature. The merchant public key registered for partner ${RSA_ONLY} is not the public half of --private-key: another key pair was uploaded, or this key pair belongs to another partner (check --partner).`,
    );
  });

  it("a gateway that checks signatures as GBK: ASCII passes, Chinese text fails (charset)", async () => {
    const r = await run(md5(gbk));
    expect(r.code).toBe(1);
    expect(r.out).toContain("ok       signed-query");
    expect(r.out).toContain(
      "PROBLEM  charset           the gateway accepts signed requests in plain ASCII but answers ILLEGAL_SIGN as soon as one holds Chinese text: it checks the signature over bytes in another charset than the UTF-8 they were signed in. Send _input_charset=UTF-8 in the URL's query string (not only in the body)",
    );
  });

  it("key roles: a public key as the private key, a private key as Alipay's key", async () => {
    const pair = generateRsaKeyPair();
    const r = await run([
      "--gateway",
      rsa.gatewayUrl,
      "--partner",
      rsa.partner,
      "--sign-type",
      "RSA2",
      `--private-key=${pair.publicKeyPem}`,
      `--alipay-public-key=${pair.privateKeyPem}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "PROBLEM  private-key       --private-key: this is a public key. Your own RSA private key belongs here (it signs your requests); a public key (yours, or Alipay's) cannot sign.",
    );
    expect(r.out).toContain(
      'PROBLEM  alipay-public-key --alipay-public-key: this is a private key. Alipay\'s public key belongs here (the portal shows it as "Alipay public key")',
    );
    expect(r.out).toContain("note     signed-query      not sent: fix the problems above first");
    expect(r.out).not.toContain("BEGIN");
  });

  it("sign type against the keys: RSA2 with only an MD5 key; an RSA key given as the MD5 key", async () => {
    const a = await run(["--gateway", sandbox.gatewayUrl, "--partner", sandbox.partner, "--sign-type", "RSA2", "--md5-key", sandbox.md5Key]);
    expect(a.code).toBe(1);
    expect(a.out).toContain(
      "PROBLEM  sign-type         --sign-type is RSA2 but only an MD5 key is set: set --sign-type to MD5, or set --private-key and --alipay-public-key.",
    );
    const b = await run(["--gateway", sandbox.gatewayUrl, "--partner", sandbox.partner, "--sign-type", "MD5", "--md5-key", rsa.alipayPublicKey]);
    expect(b.code).toBe(1);
    expect(b.out).toContain("PROBLEM  md5-key           --md5-key: this is an RSA key, not the MD5 key.");
  });

  it("a gateway that does not answer", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run([
      "--gateway",
      `http://127.0.0.1:${port}/gateway.do`,
      "--partner",
      sandbox.partner,
      "--md5-key",
      sandbox.md5Key,
      "--timeout-ms",
      "2000",
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `PROBLEM  signed-query      --gateway: http://127.0.0.1:${port}/gateway.do cannot be reached: the connection failed (ECONNREFUSED).`,
    );
  });
});

describe("alipayhk doctor: the notify URL", () => {
  let server: Server;
  let url = "";
  let answer = "fail";
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alipay/notify`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a local URL with the local sandbox: fine, with a note that Alipay could not reach it, and what cannot be told", async () => {
    answer = "fail";
    const r = await run(md5(sandbox, ["--notify-url", url]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `ok       notify-url        notify URL ${url}: 127.0.0.1 is a local or private address: fine for a local gateway such as the sandbox, but Alipay's servers cannot reach it`,
    );
    expect(r.out).toContain("It answered an unsigned test POST from here with HTTP 200 and not `success`, as it should.");
    expect(r.out).toContain("Not checked from here: whether Alipay's servers can reach it");
  });

  it("an endpoint that answers success to an unsigned notification", async () => {
    answer = "success";
    const r = await run(md5(sandbox, ["--notify-url", url]));
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "It answered `success` to an unsigned POST: it must verify the signature (and check the trade) before answering success, or anyone can mark orders paid.",
    );
  });

  it("a private URL with the production gateway (offline): Alipay cannot reach it", async () => {
    const report = await runDoctor({
      settings: { gateway: "production", partner: "2088101122136241", md5Key: "0123456789abcdefghijklmnopqrstuv" },
      notifyUrl: "http://192.168.1.20:8080/notify",
      network: false,
    });
    expect(report.ok).toBe(false);
    const notify = report.checks.find((c) => c.id === "notify-url")!;
    expect(notify.status).toBe("problem");
    expect(notify.message).toContain("192.168.1.20 is a local or private address: Alipay's servers cannot reach it.");
  });
});

describe("alipayhk doctor: --offline and --json", () => {
  it("--offline sends nothing; --json prints the report without any key", async () => {
    const r = await run(["--gateway", "http://127.0.0.1:9/gateway.do", "--partner", sandbox.partner, "--md5-key", sandbox.md5Key, "--offline", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { ok: boolean; checks: Array<{ id: string; status: string; message: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === "signed-query")).toEqual({
      id: "signed-query",
      status: "note",
      message: "not sent (offline): the keys' formats and roles were checked, not whether the gateway accepts them.",
    });
    expect(r.out).not.toContain(sandbox.md5Key);
  });
});

describe("alipayhk doctor: bad input exits 2 with one line", () => {
  it("no partner", async () => {
    const r = await run(["--gateway", sandbox.gatewayUrl, "--md5-key", sandbox.md5Key]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("alipayhk: --partner: required (16 digits starting with 2088, the PID on Alipay's portal)\n");
  });

  it("an unknown flag, and --help", async () => {
    const r = await run(["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^alipayhk: .*--bogus/);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: alipayhk doctor/);
  });
});
