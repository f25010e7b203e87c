/**
 * A barcode charge that reaches the gateway after the merchant cancelled its id: the sandbox holds
 * the spot.pay (magic code or `holdChargeMs` fault), the client times out, its cancel finds no trade
 * (SUCCESS, no trade_no), and the held charge then lands as a paid trade.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayHkClient } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { admin, sendGateway, uid, waitFor, type AdminErrorBody } from "./helpers";

let sandbox: RunningSandbox;
let client: AlipayHkClient;
const log: string[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ heldChargeMs: 60_000, log: (line) => log.push(line) });
  client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl });
});
afterAll(() => sandbox.close());

/** Sends the charge, waits until the gateway holds it, then gives up on it as a timed-out client does. */
async function chargeThatTimesOut(id: string, code: string): Promise<void> {
  const controller = new AbortController();
  const charge = sendGateway(
    sandbox,
    {
      service: "alipay.acquire.overseas.spot.pay",
      alipay_seller_id: sandbox.partner,
      trans_name: "Coffee",
      partner_trans_id: id,
      currency: "HKD",
      trans_amount: "15.00",
      buyer_identity_code: code,
      identity_code_type: "barcode",
    },
    { signal: controller.signal },
  );
  await waitFor(() => log.some((line) => line.includes(`${id} held up to`)), "the gateway to hold the charge");
  controller.abort();
  await expect(charge).rejects.toThrow();
}

async function cancelDuringHoldThenCharged(id: string): Promise<void> {
  const cancel = await client.cancel({ outTradeNo: id });
  expect(cancel.reply.response.result_code).toBe("SUCCESS");
  expect(cancel.tradeNo).toBeUndefined();
  expect(cancel.reply.response.trade_no).toBeUndefined();
  // The cancel ended the hold; the held charge is processed after it: the worst case, a paid trade nobody expects.
  await waitFor(() => sandbox.trades().find((t) => t.out_trade_no === id), "the held charge to land");
  const query = await client.query({ partnerTransId: id });
  expect(query.reply.response.alipay_trans_status).toBe("TRADE_SUCCESS");
  expect(query.reply.response.trans_amount).toBe("15.00");
}

describe("a held barcode charge", () => {
  it("magic code 280000000000000011: the cancel answers SUCCESS without trade_no, then the charge lands TRADE_SUCCESS", async () => {
    const id = uid("HELD");
    await chargeThatTimesOut(id, "280000000000000011");
    expect(sandbox.trades().some((t) => t.out_trade_no === id)).toBe(false);
    await cancelDuringHoldThenCharged(id);
  });

  it("the holdChargeMs fault (admin API) does the same for any buyer code, only for spot.pay of that id", async () => {
    const id = uid("HOLDF");
    const added = await admin(sandbox, "POST", "/sandbox/faults", { holdChargeMs: 60_000, partnerTransId: id, once: true });
    expect(added.status).toBe(201);
    await chargeThatTimesOut(id, "280000000000000001");
    await cancelDuringHoldThenCharged(id);
    // once: a later charge is not held.
    const other = await client.spotPay({ partnerTransId: uid("HOLDN"), transName: "Tea", amount: 100, buyerIdentityCode: "280000000000000001" });
    expect(other.reply.response.result_code).toBe("SUCCESS");
  });

  it("refuses a holdChargeMs that is not a whole number of ms", async () => {
    const r = await admin<AdminErrorBody>(sandbox, "POST", "/sandbox/faults", { holdChargeMs: -1 });
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({ code: "BAD_FAULT", message: "holdChargeMs: expected an integer from 0 to 600000, got -1" });
  });
});
