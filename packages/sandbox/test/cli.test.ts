/** The `sandbox` command as a function: help, flag errors (exit 2, one line), the banner, stop on signal. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseSandboxArgs, runSandboxCommand } from "../src/index";
import { waitFor } from "./helpers";

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", (c: Buffer) => out.push(c.toString()));
  stderr.on("data", (c: Buffer) => err.push(c.toString()));
  return { io: { stdout, stderr }, out: () => out.join(""), err: () => err.join("") };
}

describe("alipayhk sandbox", () => {
  it("--help prints usage and returns 0", async () => {
    const t = io();
    expect(await runSandboxCommand(["--help"], t.io)).toBe(0);
    expect(t.out()).toMatch(/^Usage: alipayhk sandbox \[options\]/);
    expect(t.out()).toContain("--sign-type <value>, ALIPAYHK_SANDBOX_SIGN_TYPE");
    expect(t.out()).toContain("--partner <value> (repeatable), ALIPAYHK_SANDBOX_PARTNERS");
  });

  it.each([
    [["--port", "abc"], /^alipayhk sandbox: --port: expected an integer from 0 to 65535, got "abc"\n$/],
    [["--port"], /^alipayhk sandbox: --port: expected a value after it /],
    [["--sign-type", "DSA"], /^alipayhk sandbox: --sign-type: expected MD5, RSA or RSA2, got "DSA"\n$/],
    [["--partner=123"], /^alipayhk sandbox: --partner: expected 16 digits starting with 2088, got "123"\n$/],
    [["--md5-key", "x"], /^alipayhk sandbox: --md5-key: expected 16-64 letters and digits/],
    [["--color"], /^alipayhk sandbox: --color: unknown option/],
    [["--merchant-public-key", "/nonexistent/key.pem"], /^alipayhk sandbox: --merchant-public-key: expected a readable key file/],
    [["--notify-time-scale", "-1"], /^alipayhk sandbox: --notify-time-scale: expected a number/],
    [["--barcode-wait", "later"], /^alipayhk sandbox: --barcode-wait: expected a duration/],
  ])("%j → one line naming the flag, exit 2", async (argv, message) => {
    const t = io();
    expect(await runSandboxCommand(argv, t.io)).toBe(2);
    expect(t.err()).toMatch(message);
    expect(t.err().split("\n").filter(Boolean)).toHaveLength(1);
    expect(t.out()).toBe("");
  });

  it("parses the flags into options", () => {
    expect(
      parseSandboxArgs(["--port=0", "--partner", "2088000000000033", "--sign-type", "RSA2", "--barcode-wait", "2s", "--sign-failures", "--quiet"]),
    ).toEqual({
      help: false,
      quiet: true,
      options: { port: 0, partner: "2088000000000033", signType: "RSA2", barcodeWaitMs: 2000, signFailures: true },
    });
    expect(parseSandboxArgs([]).options).toEqual({ port: 4010 });
  });

  it("reads ALIPAYHK_SANDBOX_* variables, a flag winning over its variable, and names the variable at fault", () => {
    const env = { ALIPAYHK_SANDBOX_PORT: "4999", ALIPAYHK_SANDBOX_PARTNERS: "2088000000000033,2088000000000044::RSA2", ALIPAYHK_SANDBOX_QUIET: "1" };
    expect(parseSandboxArgs(["--port", "0"], env)).toEqual({
      help: false,
      quiet: true,
      options: { port: 0, partner: "2088000000000033", partners: [{ partner: "2088000000000044", signType: "RSA2" }] },
    });
    expect(() => parseSandboxArgs([], { ALIPAYHK_SANDBOX_FEE_RATE: "2" })).toThrow('ALIPAYHK_SANDBOX_FEE_RATE: expected a number from 0 to 0.5, got "2"');
    expect(() => parseSandboxArgs([], { ALIPAYHK_SANDBOX_MD5_KEY: "short" })).toThrow(
      /^ALIPAYHK_SANDBOX_MD5_KEY: expected 16-64 letters and digits .*, got a value of another form$/,
    );
  });

  it("starts, prints the gateway URL, partner, keys and wallet URL, logs requests, and stops on the signal with 0", async () => {
    const t = io();
    const stop = new AbortController();
    const done = runSandboxCommand(["--port", "0", "--sign-type", "RSA2", "--partner", "2088000000000044"], t.io, { signal: stop.signal });
    const banner = await waitFor(() => /Press Ctrl\+C to stop\./.test(t.out()) && t.out(), "the banner");
    const gateway = /http:\/\/127\.0\.0\.1:(\d+)\/gateway\.do/.exec(banner);
    expect(gateway).not.toBeNull();
    expect(banner).toContain("Partner:      2088000000000044 (sign type RSA2)");
    expect(banner).toContain("MD5 key:      0123456789abcdefghijklmnopqrstuv");
    expect(banner).toContain("-----BEGIN PRIVATE KEY-----");
    expect(banner).toMatch(/Wallet page: +http:\/\/127\.0\.0\.1:\d+\/sandbox\/wallet/);
    expect(banner).toContain("280000000000000008  no reply at all");
    const reply = await fetch(`${gateway![0]}?service=notify_verify&partner=2088000000000044&notify_id=x`);
    expect(await reply.text()).toBe("false");
    await waitFor(() => t.out().includes("notify_verify 2088000000000044 x → false"), "the request log line");
    stop.abort();
    expect(await done).toBe(0);
    expect(t.out()).toMatch(/Alipay HK sandbox stopped\.\n$/);
    await expect(fetch(gateway![0])).rejects.toThrow();
  });

  it("reports a busy port on stderr with exit 1", async () => {
    const first = io();
    const stop = new AbortController();
    const running = runSandboxCommand(["--port", "0", "--quiet"], first.io, { signal: stop.signal });
    const match = await waitFor(() => /127\.0\.0\.1:(\d+)\/gateway/.exec(first.out()) ?? undefined, "the banner");
    const port = match[1]!;
    const second = io();
    expect(await runSandboxCommand(["--port", port], second.io)).toBe(1);
    expect(second.err()).toMatch(new RegExp(`^alipayhk sandbox: --port: cannot listen on 127.0.0.1:${port} \\(EADDRINUSE\\)`));
    stop.abort();
    await running;
  });
});
