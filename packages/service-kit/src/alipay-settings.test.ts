import { ALIPAYHK_ENV, clientOptionsFromSettings } from "@alipayhk/core";
import { describe, expect, it } from "vitest";
import { alipaySettings } from "./alipay-settings";
import { readSettings, renderHelp } from "./settings";

const env = { ALIPAYHK_PARTNER: "2088101122136241", ALIPAYHK_MD5_KEY: "0123456789abcdef0123456789abcdef", ALIPAYHK_TIMEOUT_MS: "8000" };

describe("the ALIPAYHK_* settings declared once", () => {
  it("names every variable of core's table, and hands core the values as they are", () => {
    const spec = alipaySettings();
    expect(Object.fromEntries(Object.entries(spec).map(([key, one]) => [key, one.env]))).toEqual(ALIPAYHK_ENV);
    const { values } = readSettings(spec, { env });
    expect(clientOptionsFromSettings(values)).toMatchObject({ partner: env.ALIPAYHK_PARTNER, signType: "MD5", timeoutMs: 8000 });
  });

  it("with required, refuses a missing gateway or partner itself; without, leaves them to core", () => {
    expect(() => readSettings(alipaySettings({ required: true }), { env })).toThrow(/^ALIPAYHK_GATEWAY: expected a value \(/);
    expect(() => readSettings(alipaySettings({ required: true }), { env: { ALIPAYHK_GATEWAY: "alipay-sandbox" } })).toThrow(
      /^ALIPAYHK_PARTNER: expected a value \(/,
    );
    const { values } = readSettings(alipaySettings(), { env: {} });
    expect(() => clientOptionsFromSettings(values)).toThrow(/^ALIPAYHK_PARTNER: required/);
    expect(renderHelp(alipaySettings(), { usage: "svc", summary: "Runs." })).toContain("(default production)");
  });
});
