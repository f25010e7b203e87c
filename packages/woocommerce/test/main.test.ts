import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const baseEnv = {
  WOO_URL: "https://shop.example.com",
  WOO_CONSUMER_KEY: "ck_0123456789abcdef",
  WOO_CONSUMER_SECRET: "cs_0123456789abcdef",
  WOO_WEBHOOK_SECRET: "whsec-0123456789",
  PUBLIC_URL: "https://pay.example.com",
  BRIDGE_API_TOKEN: "tok-0123456789abcdef",
  WOO_PLUGIN_SECRET: "plugin-secret-0123456789abcdef-0123",
  ALIPAYHK_GATEWAY: "alipay-sandbox",
  ALIPAYHK_PARTNER: "2088101122136241",
  ALIPAYHK_MD5_KEY: "0123456789abcdef0123456789abcdef",
};

describe("alipayhk-woo (main)", () => {
  it("exits 2 with one line naming the first bad variable", async () => {
    const c = capture();
    const { code, bridge } = await main([], { ...baseEnv, WOO_URL: undefined, ALIPAYHK_SIGN_TYPE: "RSA9" }, c.io);
    expect(code).toBe(2);
    expect(bridge).toBeUndefined();
    expect(c.err).toEqual(["alipayhk-woo: WOO_URL: expected a value (shop home URL, e.g. https://shop.example.com)"]);
    const sign = capture();
    expect((await main([], { ...baseEnv, ALIPAYHK_SIGN_TYPE: "RSA9" }, sign.io)).code).toBe(2);
    expect(sign.err).toEqual(['alipayhk-woo: ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2, got "RSA9"']);
  });

  it("exits 2 on an unknown argument, 0 for --help and for a valid --check", async () => {
    const { startSandbox } = await import("@alipayhk/sandbox");
    const sandbox = await startSandbox();
    const env = { ...baseEnv, ALIPAYHK_GATEWAY: sandbox.gatewayUrl, ALIPAYHK_PARTNER: sandbox.partner, ALIPAYHK_MD5_KEY: sandbox.md5Key };
    try {
      const bad = capture();
      expect((await main(["--port=1"], env, bad.io)).code).toBe(2);
      expect(bad.err[0]).toBe('alipayhk-woo: unknown argument "--port=1" (try --help)');
      const help = capture();
      expect((await main(["--help"], {}, help.io)).code).toBe(0);
      expect(help.out[0]).toContain("ALIPAYHK_PRIVATE_KEY");
      expect(help.out[0]).toContain("--check");
      const check = capture();
      // A bridge beside the shop (same host and port rule), talking to the local sandbox.
      const local = { ...env, WOO_URL: "http://127.0.0.1:8080", PUBLIC_URL: "http://127.0.0.1:8080" };
      expect((await main(["--check"], local, check.io)).code).toBe(0);
      expect(check.err.filter((l) => l.includes("port"))).toEqual([]);
      const refused = capture();
      expect((await main(["--check"], { ...env, WOO_URL: "http://127.0.0.1:8080", PUBLIC_URL: "http://127.0.0.1:8787" }, refused.io)).code).toBe(0);
      expect(refused.err).toEqual([
        'alipayhk-woo: warning: PUBLIC_URL port 8787 is not 80, 443 or 8080 nor the shop\'s own port; WooCommerce delivers webhooks with wp_safe_remote_request(), whose wp_http_validate_url() refuses it ("A valid URL was not provided."), counts a failure and in the end disables the webhook. Put the bridge behind a reverse proxy on 443 (see "Running the bridge") or listen on PORT=8080 (the poll still keeps orders in step, every POLL_INTERVAL_SECONDS)',
      ]);
      expect(check.out[0]).toBe(
        "alipayhk-woo: configuration OK (shop http://127.0.0.1:8080, public URL http://127.0.0.1:8080, listening on 0.0.0.0:8080, sign type MD5)",
      );
      // Then the doctor, on the bridge's own Alipay settings: the gateway answers a signed query.
      expect(check.out[1]).toMatch(/ok\s+signed-query/);
      expect(check.out[1]).toMatch(/ok\s+reply-signature/);
      expect(check.out[1]).toMatch(/warning\s+notify-url\s+notify URL http:\/\/127\.0\.0\.1:8080\/alipay\/notify: 127\.0\.0\.1 is a local or private address/);
      // A notify URL whose host does not resolve is a problem (exit 1).
      const unresolved = capture();
      expect((await main(["--check"], { ...env, PUBLIC_URL: "https://pay.shop.invalid" }, unresolved.io)).code).toBe(1);
      expect(unresolved.out[1]).toMatch(/PROBLEM\s+notify-url\s+notify URL https:\/\/pay\.shop\.invalid\/alipay\/notify: pay\.shop\.invalid does not resolve/);
      // A wrong MD5 key is a problem the merchant can read (exit 1), never printed.
      const wrong = capture();
      const wrongKey = "ffffffffffffffffffffffffffffffff";
      expect((await main(["--check"], { ...local, ALIPAYHK_MD5_KEY: wrongKey }, wrong.io)).code).toBe(1);
      expect(wrong.out[1]).toMatch(/PROBLEM\s+signed-query.*ILLEGAL_SIGN/);
      expect(wrong.out.join("\n") + wrong.err.join("\n")).not.toContain(wrongKey);
    } finally {
      await sandbox.close();
    }
  });
});

describe("alipayhk-woo started from the environment", () => {
  it("wires config → WooCommerce client → SQLite → server, and its first poll registers the webhooks", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { startSandbox } = await import("@alipayhk/sandbox");
    const { FakeWooCommerce } = await import("./fake-woocommerce/index.js");
    const { eventually } = await import("./helpers.js");
    const woo = await FakeWooCommerce.start({ protocol: "http" });
    const sandbox = await startSandbox();
    const c = capture();
    const started = await main(
      [],
      {
        ...baseEnv,
        WOO_URL: woo.url,
        WOO_CONSUMER_KEY: woo.key.consumerKey,
        WOO_CONSUMER_SECRET: woo.key.consumerSecret,
        PUBLIC_URL: "http://127.0.0.1:9",
        PORT: "0",
        HOST: "127.0.0.1",
        DATA_DIR: mkdtempSync(join(tmpdir(), "alipayhk-woo-main-")),
        ALIPAYHK_GATEWAY: sandbox.gatewayUrl,
        ALIPAYHK_PARTNER: sandbox.partner,
        ALIPAYHK_MD5_KEY: sandbox.md5Key,
      },
      c.io,
    );
    try {
      expect(started.code).toBe(0);
      const bridge = started.bridge!;
      const port = (bridge.server.address() as { port: number }).port;
      await eventually(() => woo.webhooks.webhooks.size === 3, "webhooks registered by the first poll");
      // PUBLIC_URL http://127.0.0.1:9: a loopback host that is not the shop's... the shop is 127.0.0.1
      // too, so only the port rule applies: 9 is not 80/443/8080, nor the shop's port.
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok: boolean; webhooks: { state: string; message: string } };
      expect(health.ok).toBe(true);
      expect(health.webhooks.state).toBe("url_refused");
      expect(health.webhooks.message).toMatch(
        /^PUBLIC_URL port 9 is not 80, 443 or 8080 nor the shop's own port; WooCommerce delivers webhooks with wp_safe_remote_request\(\)/,
      );
      expect(c.err).toEqual([]);
      expect([...woo.webhooks.webhooks.values()].map((w) => w.deliveryUrl)).toEqual(Array(3).fill("http://127.0.0.1:9/woocommerce/webhook"));
      expect(woo.requests.every((r) => r.auth === "oauth" && r.status < 400)).toBe(true);
    } finally {
      await started.bridge?.stop();
      await sandbox.close();
      await woo.close();
    }
  });
});
