import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayConfigError } from "@alipayhk/core";
import { ConfigError, loadConfigFromEnv, WEBHOOK_SETTINGS } from "../src/index";
import { API_TOKEN, ApiClient, eventually, newSecret, SANDBOX_DEFAULTS, startSandbox, type RunningSandbox } from "./helpers";
import { BIN, freePort, spawnService } from "./load";

const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const base = { WEBHOOK_SECRET: newSecret(), ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_MD5_KEY: MD5_KEY };

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("configuration from the environment", () => {
  const wrong: Array<[string, Record<string, string>, RegExp]> = [
    ["no inbound secret or token", { ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_MD5_KEY: MD5_KEY }, /^WEBHOOK_SECRET: required/],
    ["a secret that is not whsec_", { ...base, WEBHOOK_SECRET: "hunter2hunter2hunter2" }, /^WEBHOOK_SECRET: expected whsec_/],
    ["a short API token", { ...base, API_TOKEN: "short" }, /^API_TOKEN: expected at least 16 characters, got a value of another form$/],
    [
      "endpoints without their secret",
      { ...base, WEBHOOK_ENDPOINTS: "https://shop.example/hooks" },
      /^WEBHOOK_ENDPOINT_SECRET: required with WEBHOOK_ENDPOINTS/,
    ],
    ["a bad endpoint", { ...base, WEBHOOK_ENDPOINTS: "https://ok.example/h, ftp://no", WEBHOOK_ENDPOINT_SECRET: newSecret() }, /^WEBHOOK_ENDPOINTS: .*entry 2/],
    ["a bad port", { ...base, PORT: "http" }, /^PORT: expected an integer from 0 to 65535/],
    ["no partner", { WEBHOOK_SECRET: base.WEBHOOK_SECRET, ALIPAYHK_MD5_KEY: MD5_KEY }, /^ALIPAYHK_PARTNER: required/],
    ["a bad partner", { ...base, ALIPAYHK_PARTNER: "12345" }, /^ALIPAYHK_PARTNER: expected 16 digits starting with 2088/],
    ["a bad MD5 key", { ...base, ALIPAYHK_MD5_KEY: "short" }, /^ALIPAYHK_MD5_KEY: expected the 32-character/],
    ["RSA2 without keys", { ...base, ALIPAYHK_SIGN_TYPE: "RSA2", ALIPAYHK_MD5_KEY: "" }, /^ALIPAYHK_PRIVATE_KEY: required for sign type RSA2/],
    ["a bad sign type", { ...base, ALIPAYHK_SIGN_TYPE: "SHA1" }, /^ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2/],
    [
      "a key file that does not exist",
      { ...base, ALIPAYHK_PRIVATE_KEY: "/nonexistent/merchant.pem", ALIPAYHK_SIGN_TYPE: "RSA2" },
      /^ALIPAYHK_PRIVATE_KEY: cannot read file "\/nonexistent\/merchant.pem"/,
    ],
    ["a bad gateway", { ...base, ALIPAYHK_GATEWAY: "gopher://x" }, /^ALIPAYHK_GATEWAY: expected an http\(s\) URL/],
    ["a bad DATABASE_URL", { ...base, DATABASE_URL: "mysql://x" }, /^DATABASE_URL: expected a postgres:\/\//],
    ["a bad time scale", { ...base, WEBHOOK_RETRY_TIME_SCALE: "fast" }, /^WEBHOOK_RETRY_TIME_SCALE: expected a number/],
  ];

  it.each(wrong)("%s: the error names the variable", (_name, env, message) => {
    let error: unknown;
    try {
      loadConfigFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    // In core's hierarchy, with the variable as its field.
    expect(error).toBeInstanceOf(AlipayConfigError);
    expect((error as ConfigError).field).toBe(/^\^(\w+)/.exec(message.source)![1]);
    expect((error as Error).message).toMatch(message);
  });

  it("reads QR_EXPIRY_MINUTES like every alipayhk package; the old QR_EXPIRES_MINUTES still works, with a warning", () => {
    expect(loadConfigFromEnv({ ...base, QR_EXPIRY_MINUTES: "20" })).toMatchObject({ warnings: [], service: { qrExpiresInMinutes: 20 } });
    expect(loadConfigFromEnv({ ...base, QR_EXPIRES_MINUTES: "25" })).toMatchObject({
      warnings: ["QR_EXPIRES_MINUTES is deprecated; use QR_EXPIRY_MINUTES (same meaning)"],
      service: { qrExpiresInMinutes: 25 },
    });
    expect(() => loadConfigFromEnv({ ...base, QR_EXPIRES_MINUTES: "0" })).toThrow(/^QR_EXPIRES_MINUTES: expected an integer from 1 to 21600/);
  });

  it("reads keys inline or from a file, and defaults PUBLIC_URL to the port", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-webhook-keys-"));
    try {
      writeFileSync(join(dir, "md5.key"), `${MD5_KEY}\n`);
      const config = loadConfigFromEnv({ ...base, ALIPAYHK_MD5_KEY: join(dir, "md5.key"), PORT: "9090" });
      expect(config.service.alipay).toMatchObject({ partner: "2088101122136241", signType: "MD5", md5Key: MD5_KEY });
      expect(config.service.publicUrl).toBe("http://127.0.0.1:9090");
      expect(config.port).toBe(9090);
      expect(config.service.storage).toEqual({ databaseUrl: undefined, dataDir: "data" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the alipayhk-webhook bin", () => {
  it("--help lists every variable, generated from the settings", () => {
    const { code, stdout } = run(["--help"], {});
    expect(code).toBe(0);
    for (const name of [
      "PORT",
      "DATA_DIR",
      "DATABASE_URL",
      "WEBHOOK_SECRET",
      "API_TOKEN",
      "WEBHOOK_ENDPOINTS",
      "WEBHOOK_ENDPOINT_SECRET",
      "PUBLIC_URL",
      "ALIPAYHK_GATEWAY",
      "ALIPAYHK_PARTNER",
      "ALIPAYHK_SIGN_TYPE",
      "ALIPAYHK_MD5_KEY",
      "ALIPAYHK_PRIVATE_KEY",
      "ALIPAYHK_ALIPAY_PUBLIC_KEY",
    ]) {
      expect(stdout).toMatch(new RegExp(`^  ${name}$`, "m"));
    }
    for (const one of Object.values(WEBHOOK_SETTINGS)) expect(stdout).toMatch(new RegExp(`^  ${one.env}$`, "m"));
    expect(stdout).toContain("minutes a QR code stays payable (default 15; formerly QR_EXPIRES_MINUTES)");
    expect(stdout).toMatch(/^ {2}--check /m);
  });

  it("a configuration error is one line naming the variable, exit 2, and never echoes a secret", () => {
    const secret = newSecret();
    const { code, stderr, stdout } = run([], { WEBHOOK_SECRET: secret, ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_MD5_KEY: "bad!" });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^alipayhk-webhook: ALIPAYHK_MD5_KEY: expected .*\n$/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toContain(secret);
    expect(stderr).not.toContain("bad!");
  });

  it("an unknown argument is refused with exit 2", () => {
    const { code, stderr } = run(["--port", "80"], base);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^alipayhk-webhook: --port: unknown argument/);
  });

  describe("running", () => {
    let sandbox: RunningSandbox;
    let dataDir: string;
    beforeAll(async () => {
      sandbox = await startSandbox({ ...SANDBOX_DEFAULTS });
      dataDir = mkdtempSync(join(tmpdir(), "alipayhk-webhook-bin-"));
    });
    afterAll(async () => {
      await sandbox?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("serves the API, logs JSON lines without secrets, and stops cleanly on SIGTERM", async () => {
      const port = await freePort();
      const webhookSecret = newSecret();
      const endpointSecret = newSecret();
      const service = spawnService({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        WEBHOOK_SECRET: webhookSecret,
        API_TOKEN,
        WEBHOOK_ENDPOINTS: "http://127.0.0.1:9/hooks",
        WEBHOOK_ENDPOINT_SECRET: endpointSecret,
        ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
        ALIPAYHK_PARTNER: sandbox.partner,
        ALIPAYHK_MD5_KEY: sandbox.md5Key,
      });
      const api = new ApiClient(`http://127.0.0.1:${port}`, webhookSecret);
      await eventually("up", async () => (await fetch(`${api.baseUrl}/healthz`)).ok);
      const created = await api.signed("POST", "/v1/orders", { order_id: "bin-1", amount: "1.00", mode: "barcode", buyer_code: "280000000000000001" });
      expect(created.body.status).toBe("paid");
      service.child.kill("SIGTERM");
      expect(await service.exited).toBe(0);
      const lines = service.output().trim().split("\n");
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(lines.map((line) => JSON.parse(line).msg)).toEqual(expect.arrayContaining(["listening", "barcode charge", "stopping"]));
      for (const secret of [webhookSecret, endpointSecret, API_TOKEN, sandbox.md5Key, "280000000000000001"]) expect(service.output()).not.toContain(secret);
    });
  });
});

/** Runs the bin without blocking this process (the sandbox it talks to lives here). */
function runAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("--check: the doctor on the service's own settings", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox(SANDBOX_DEFAULTS);
  });
  afterAll(() => sandbox.close());

  it("a right key passes the gateway checks (exit 0); the loopback notify URL is a warning that Alipay cannot reach it", async () => {
    const result = await runAsync(["--check"], {
      ...base,
      ALIPAYHK_PARTNER: sandbox.partner,
      ALIPAYHK_MD5_KEY: sandbox.md5Key,
      ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
      PUBLIC_URL: "http://127.0.0.1:8080",
    });
    expect(result.stdout).toMatch(/ok\s+signed-query/);
    expect(result.stdout).toMatch(/ok\s+reply-signature/);
    expect(result.stdout).toMatch(/warning\s+notify-url\s+notify URL http:\/\/127\.0\.0\.1:8080\/alipay\/notify: 127\.0\.0\.1 is a local or private address/);
    expect(result.code).toBe(0);
  });

  it("a wrong MD5 key is diagnosed in plain words (exit 1), and the key is never printed", async () => {
    const wrongKey = "abcdefghijklmnopqrstuvwxyz012345";
    const result = await runAsync(["--check"], {
      ...base,
      ALIPAYHK_PARTNER: sandbox.partner,
      ALIPAYHK_MD5_KEY: wrongKey,
      ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/PROBLEM\s+signed-query.*ILLEGAL_SIGN/);
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
  });

  it("bad settings are bad input (exit 2) with the variable named", () => {
    const result = run(["--check"], { ...base, ALIPAYHK_PARTNER: "12345" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ALIPAYHK_PARTNER: expected 16 digits/);
  });
});
