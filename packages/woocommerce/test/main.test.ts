import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const env = {
  WOO_URL: "https://shop.example.com",
  WOO_CONSUMER_KEY: "ck_0123456789abcdef",
  WOO_CONSUMER_SECRET: "cs_0123456789abcdef",
  WOO_WEBHOOK_SECRET: "whsec-0123456789",
  PUBLIC_URL: "https://pay.example.com",
  BRIDGE_API_TOKEN: "tok-0123456789abcdef",
  ALIPAYHK_GATEWAY: "alipay-sandbox",
  ALIPAYHK_PARTNER: "2088101122136241",
  ALIPAYHK_MD5_KEY: "0123456789abcdef0123456789abcdef",
};

describe("alipayhk-woo (main)", () => {
  it("exits 2 with one line per configuration problem, naming the variable", async () => {
    const c = capture();
    const { code, bridge } = await main([], { ...env, WOO_URL: undefined, ALIPAYHK_SIGN_TYPE: "RSA9" }, c.io);
    expect(code).toBe(2);
    expect(bridge).toBeUndefined();
    expect(c.err).toEqual([
      "alipayhk-woo: WOO_URL: missing (e.g. https://shop.example.com)",
      'alipayhk-woo: ALIPAYHK_SIGN_TYPE: expected MD5, RSA or RSA2, got "RSA9"',
    ]);
  });

  it("exits 2 on an unknown argument, 0 for --help and for a valid --check", async () => {
    const bad = capture();
    expect((await main(["--port=1"], env, bad.io)).code).toBe(2);
    expect(bad.err[0]).toBe('alipayhk-woo: unknown argument "--port=1" (try --help)');
    const help = capture();
    expect((await main(["--help"], {}, help.io)).code).toBe(0);
    expect(help.out[0]).toContain("ALIPAYHK_PRIVATE_KEY");
    const check = capture();
    expect((await main(["--check"], env, check.io)).code).toBe(0);
    expect(check.out[0]).toBe("alipayhk-woo: configuration OK (shop https://shop.example.com, public URL https://pay.example.com, sign type MD5)");
  });
});
