/**
 * A barcode charge that reaches the gateway after the merchant cancelled its id: the sandbox holds
 * the spot.pay (magic code or `holdChargeMs` fault), the client times out, its cancel finds no trade
 * (SUCCESS, no trade_no), and the held charge then lands as a paid trade.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayHkClient, AlipayTimeoutError } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { admin, uid, waitFor } from "./helpers";

let sandbox: RunningSandbox;
let client: AlipayHkClient;
beforeAll(async () => {
  sandbox = await startSandbox({ heldChargeMs: 1200 });
  client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl, timeoutMs: 100 });
});
afterAll(() => sandbox.close());

async function chargeThatTimesOut(id: string, code: string): Promise<void> {
  await expect(client.spotPay({ partnerTransId: id, transName: "Coffee", amount: 1500, buyerIdentityCode: code })).rejects.toBeInstanceOf(AlipayTimeoutError);
}

async function cancelDuringHoldThenCharged(id: string): Promise<void> {
  const cancel = await client.cancel({ outTradeNo: id });
  expect(cancel.reply.response.result_code).toBe("SUCCESS");
  expect(cancel.tradeNo).toBeUndefined();
  expect(cancel.reply.response.trade_no).toBeUndefined();
  // The held charge is processed after the cancel: the worst case, a paid trade nobody expects.
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
    const added = await admin(sandbox, "POST", "/sandbox/faults", { holdChargeMs: 1200, partnerTransId: id, once: true });
    expect(added.status).toBe(201);
    await chargeThatTimesOut(id, "280000000000000001");
    await cancelDuringHoldThenCharged(id);
    // once: a later charge is not held.
    const other = await client.spotPay({ partnerTransId: uid("HOLDN"), transName: "Tea", amount: 100, buyerIdentityCode: "280000000000000001" });
    expect(other.reply.response.result_code).toBe("SUCCESS");
  });

  it("refuses a holdChargeMs that is not a whole number of ms", async () => {
    const r = await admin<{ error: string; message: string }>(sandbox, "POST", "/sandbox/faults", { holdChargeMs: -1 });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("holdChargeMs: expected an integer from 0 to 600000, got -1");
  });
});
