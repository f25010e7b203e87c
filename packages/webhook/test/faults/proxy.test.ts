/**
 * The fault proxy itself: each decision does what the suite's figures assume, and one seed gives
 * one sequence of decisions.
 */
import { AlipayHkClient } from "@alipayhk/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, SANDBOX_DEFAULTS, sandboxTrades, startSandbox, type RunningSandbox } from "../helpers";
import { prng, startFaultProxy, type FaultProxy, type FaultRates } from "./proxy";

const TIMEOUT_MS = 300;
const NONE: FaultRates = { delay: 0, drop: 0, reset: 0, http5xx: 0, lateCharge: 0 };

describe("fault proxy", () => {
  let sandbox: RunningSandbox;
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ ...SANDBOX_DEFAULTS });
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await sandbox?.close();
  });

  async function through(rates: Partial<FaultRates>, seed = 1) {
    // A wide margin: the delayed request must still be unprocessed when the client has given up.
    const proxy = await startFaultProxy({
      target: sandbox.url,
      seed,
      rates: { ...NONE, ...rates },
      clientTimeoutMs: TIMEOUT_MS,
      delayMarginMs: 1_500,
      lateChargeMaxHoldMs: 10_000,
    });
    proxies.push(proxy);
    const client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: proxy.gatewayUrl, timeoutMs: TIMEOUT_MS });
    return { proxy, client };
  }
  const trade = async (id: string) => (await sandboxTrades(sandbox)).find((t) => t.out_trade_no === id);
  const precreate = (client: AlipayHkClient, id: string) => client.precreate({ outTradeNo: id, subject: "Proxy test", totalFee: 1230 });

  it("pass: forwarded and answered", async () => {
    const { proxy, client } = await through({});
    expect((await precreate(client, "px-pass")).outTradeNo).toBe("px-pass");
    expect(proxy.log).toEqual([expect.objectContaining({ service: "alipay.acquire.precreate", id: "px-pass", decision: "pass", outcome: "HTTP 200" })]);
  });

  it("drop: the gateway commits, the client gets no reply", async () => {
    const { proxy, client } = await through({ drop: 1 });
    await expect(precreate(client, "px-drop")).rejects.toThrow();
    expect(await trade("px-drop")).toMatchObject({ status: "WAIT_BUYER_PAY" });
    expect(proxy.counts()).toEqual({ drop: 1 });
  });

  it("reset and 5xx: nothing reaches the gateway", async () => {
    for (const [rates, id] of [
      [{ reset: 1 }, "px-reset"],
      [{ http5xx: 1 }, "px-5xx"],
    ] as const) {
      const { client } = await through(rates);
      await expect(precreate(client, id)).rejects.toThrow();
      expect(await trade(id)).toBeUndefined();
    }
  });

  it("delay: the request reaches the gateway after the client gave up", async () => {
    const { proxy, client } = await through({ delay: 1 });
    await expect(precreate(client, "px-delay")).rejects.toThrow();
    expect(await trade("px-delay")).toBeUndefined();
    await eventually("the late request is processed", async () => (await trade("px-delay")) !== undefined, 5_000);
    await eventually("the outcome is logged", () => proxy.log[0]?.outcome === "forwarded late: HTTP 200", 5_000);
  });

  it("late charge: spot.pay is held until a cancel of its id was answered, then the charge lands", async () => {
    const { proxy, client } = await through({ lateCharge: 1 });
    const charge = client.spotPay({ partnerTransId: "px-late", transName: "Proxy test", amount: 500, buyerIdentityCode: "280000000000000001" });
    await expect(charge).rejects.toThrow();
    expect(await trade("px-late")).toBeUndefined();
    // The cancel passes (late_charge applies to spot.pay only); the gateway does not know the id yet.
    const cancel = await client.cancel({ outTradeNo: "px-late" });
    expect(cancel.outcome.kind).toBe("succeeded");
    expect(cancel.tradeNo).toBeUndefined();
    await eventually("the held charge lands after its cancel", async () => (await trade("px-late"))?.status === "TRADE_SUCCESS", 5_000);
    expect(proxy.log.map((e) => [e.service, e.decision])).toEqual([
      ["alipay.acquire.overseas.spot.pay", "late_charge"],
      ["alipay.acquire.cancel", "pass"],
    ]);
    await eventually("the outcome is logged", () => proxy.log[0]?.outcome === "forwarded after cancel: HTTP 200", 5_000);
  });

  it("one seed, one sequence of decisions", async () => {
    const rates = { delay: 0.2, drop: 0.2, reset: 0.2, http5xx: 0.2 };
    const runs: string[][] = [];
    for (const seed of [42, 42, 43]) {
      const { proxy, client } = await through(rates, seed);
      for (let i = 0; i < 12; i++) await client.query({ partnerTransId: `px-seq-${i}` }).catch(() => undefined);
      runs.push(proxy.log.map((e) => e.decision));
    }
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).not.toEqual(runs[2]);
    expect(prng(7)()).toBe(prng(7)());
  });
});
