/**
 * Refunds (partial, several, sum ≤ paid, idempotent partner_refund_id, is_sync Y/N, refund period)
 * and cancel (closes unpaid, reverses paid on the same GMT+8 day, refuses after 00:00).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyParams } from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { callGateway, startReceiver, uid, verifyKeyFor, waitFor } from "./helpers";

let sandbox: RunningSandbox;
beforeAll(async () => {
  // 14:00 GMT+8 on a fixed day, so day boundaries are predictable.
  sandbox = await startSandbox({ startTime: "2024-05-10T14:00:00+08:00", asyncRefundDelayMs: 60_000, notifyTimeScale: 0.001 });
});
afterAll(() => sandbox.close());
const receivers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function paidTrade(amount = "100.00"): Promise<string> {
  const id = uid("P");
  const r = await callGateway(sandbox, {
    service: "alipay.acquire.overseas.spot.pay",
    alipay_seller_id: sandbox.partner,
    trans_name: "Shoes",
    partner_trans_id: id,
    currency: "HKD",
    trans_amount: amount,
    buyer_identity_code: "280000000000000001",
    identity_code_type: "barcode",
  });
  expect(r.reply.response.result_code).toBe("SUCCESS");
  return id;
}

const refund = (id: string, refundId: string, amount: string, extra: Record<string, string> = {}) =>
  callGateway(sandbox, {
    service: "alipay.acquire.overseas.spot.refund",
    partner_trans_id: id,
    partner_refund_id: refundId,
    refund_amount: amount,
    currency: "HKD",
    is_sync: "Y",
    ...extra,
  });
const cancel = (id: string) => callGateway(sandbox, { service: "alipay.acquire.cancel", out_trade_no: id, timestamp: String(Date.now()) });
const status = async (id: string) =>
  (await callGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: id })).reply.response.alipay_trans_status;

describe("refunds", () => {
  it("two partial refunds, then the sum limit (REFUND_AMT_RESTRICTION), then the rest; fully refunded is TRADE_CLOSED", async () => {
    const id = await paidTrade("100.00");
    expect((await refund(id, `${id}-1`, "30.00")).reply.response).toMatchObject({ result_code: "SUCCESS", refund_amount: "30.00" });
    expect((await refund(id, `${id}-2`, "50.00")).reply.response.result_code).toBe("SUCCESS");
    expect(await status(id)).toBe("TRADE_SUCCESS");
    expect((await refund(id, `${id}-3`, "20.01")).reply.response).toMatchObject({ result_code: "FAILED", error: "REFUND_AMT_RESTRICTION" });
    expect((await refund(id, `${id}-3`, "20.00")).reply.response.result_code).toBe("SUCCESS");
    expect(await status(id)).toBe("TRADE_CLOSED");
    expect((await refund(id, `${id}-4`, "0.01")).reply.response.error).toBe("REFUND_AMT_RESTRICTION");
  });

  it("partner_refund_id is the idempotency key: the same refund again is answered, not repeated", async () => {
    const id = await paidTrade("10.00");
    const first = await refund(id, `${id}-r`, "6.00");
    const again = await refund(id, `${id}-r`, "6.00");
    expect(again.reply.response).toEqual(first.reply.response);
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds).toHaveLength(1);
    // 6 + 6 would exceed 10: the retry really was not a second refund.
    expect((await refund(id, `${id}-s`, "4.00")).reply.response.result_code).toBe("SUCCESS");
    expect((await refund(id, `${id}-r`, "5.00")).reply.response).toMatchObject({ result_code: "FAILED", error: "CONTEXT_INCONSISTENT" });
  });

  it("a resend with identical content (refund_reson included) answers the original SUCCESS, even in another charset, after the trade closed", async () => {
    const id = await paidTrade("10.00");
    const reason = { refund_reson: "客人退貨 returned" };
    const first = await refund(id, `${id}-r`, "10.00", reason);
    expect(first.reply.response.result_code).toBe("SUCCESS");
    expect(await status(id)).toBe("TRADE_CLOSED");
    const again = await callGateway(
      sandbox,
      {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: id,
        partner_refund_id: `${id}-r`,
        refund_amount: "10.00",
        currency: "HKD",
        is_sync: "Y",
        ...reason,
      },
      { charset: "GBK", method: "GET" },
    );
    expect(again.reply.response).toEqual(first.reply.response);
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds).toHaveLength(1);
  });

  it("the same partner_refund_id with other content is CONTEXT_INCONSISTENT: another reason, no reason, another is_sync, another amount", async () => {
    const id = await paidTrade("10.00");
    expect((await refund(id, `${id}-r`, "4.00", { refund_reson: "damaged" })).reply.response.result_code).toBe("SUCCESS");
    for (const extra of [{ refund_reson: "changed mind" }, {}, { refund_reson: "damaged", is_sync: "N" }] as Array<Record<string, string>>) {
      expect((await refund(id, `${id}-r`, "4.00", extra)).reply.response).toMatchObject({ result_code: "FAILED", error: "CONTEXT_INCONSISTENT" });
    }
    expect((await refund(id, `${id}-r`, "4.01", { refund_reson: "damaged" })).reply.response.error).toBe("CONTEXT_INCONSISTENT");
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds).toHaveLength(1);
  });

  it("refuses unknown trades (is_success=F PURCHASE_TRADE_NOT_EXIST), unpaid ones, other currencies", async () => {
    expect((await refund("no-such-trade", "r-x", "1.00")).reply).toMatchObject({ isSuccess: false, error: "PURCHASE_TRADE_NOT_EXIST" });
    const qr = uid("Q");
    await callGateway(sandbox, {
      service: "alipay.acquire.precreate",
      out_trade_no: qr,
      subject: "x",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "5.00",
      currency: "HKD",
    });
    expect((await refund(qr, `${qr}-r`, "1.00")).reply.response.error).toBe("TRADE_STATUS_ERROR");
    const id = await paidTrade();
    expect((await refund(id, `${id}-r`, "1.00", { currency: "USD" })).reply.response.error).toBe("CURRENCY_NOT_SAME");
  });

  it("is_sync=N: accepted now, executed later, then notified", async () => {
    const merchant = await startReceiver();
    receivers.push(merchant);
    const id = await paidTrade("20.00");
    const r = await refund(id, `${id}-async`, "7.50", { is_sync: "N", notify_url: merchant.url, refund_reson: "damaged" });
    expect(r.reply.response).toMatchObject({ result_code: "SUCCESS", partner_refund_id: `${id}-async` });
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds[0]!.status).toBe("PROCESSING");
    // An accepted refund already counts against the paid amount.
    expect((await refund(id, `${id}-more`, "12.51")).reply.response.error).toBe("REFUND_AMT_RESTRICTION");
    sandbox.advanceClock("61s");
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds[0]!.status).toBe("SUCCESS");
    const n = await waitFor(() => merchant.received[0], "the refund notification");
    expect(verifyParams(n.fields, verifyKeyFor(sandbox, "MD5")).ok).toBe(true);
    expect(n.fields).toMatchObject({
      notify_type: "trade_status_sync",
      notify_action_type: "refundFPAction",
      out_trade_no: id,
      partner_trans_id: id,
      partner_refund_id: `${id}-async`,
      refund_amount: "7.50",
      currency: "HKD",
      refund_status: "REFUND_SUCCESS",
      trade_status: "TRADE_SUCCESS",
    });
  });

  it("is_sync is N by default (spec §2.4)", async () => {
    const id = await paidTrade("20.00");
    await callGateway(sandbox, {
      service: "alipay.acquire.overseas.spot.refund",
      partner_trans_id: id,
      partner_refund_id: `${id}-d`,
      refund_amount: "1.00",
      currency: "HKD",
    });
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunds[0]).toMatchObject({ is_sync: false, status: "PROCESSING" });
  });

  it("past the refund period: REFUNDMENT_VALID_DATE_EXCEED", async () => {
    const local = await startSandbox({ refundPeriodDays: 90 });
    try {
      const id = uid("OLD");
      await callGateway(local, {
        service: "alipay.acquire.overseas.spot.pay",
        alipay_seller_id: local.partner,
        trans_name: "x",
        partner_trans_id: id,
        currency: "HKD",
        trans_amount: "9.00",
        buyer_identity_code: "280000000000000001",
        identity_code_type: "barcode",
      });
      local.advanceClock("89d");
      const ok = await callGateway(local, {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: id,
        partner_refund_id: `${id}-1`,
        refund_amount: "1.00",
        currency: "HKD",
        is_sync: "Y",
      });
      expect(ok.reply.response.result_code).toBe("SUCCESS");
      local.advanceClock("2d");
      const late = await callGateway(local, {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: id,
        partner_refund_id: `${id}-2`,
        refund_amount: "1.00",
        currency: "HKD",
        is_sync: "Y",
      });
      expect(late.reply.response).toMatchObject({ result_code: "FAILED", error: "REFUNDMENT_VALID_DATE_EXCEED" });
    } finally {
      await local.close();
    }
  });
});

describe("cancel", () => {
  it("closes an unpaid QR trade (action close)", async () => {
    const id = uid("C");
    await callGateway(sandbox, {
      service: "alipay.acquire.precreate",
      out_trade_no: id,
      subject: "x",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "5.00",
      currency: "HKD",
    });
    const r = await cancel(id);
    expect(r.reply.response).toMatchObject({ result_code: "SUCCESS", retry_flag: "N", action: "close", out_trade_no: id });
    expect(r.reply.response.trade_no).toMatch(/^\d{28}$/);
    expect(await status(id)).toBe("TRADE_CLOSED");
    // Cancelling again gives the same answer.
    expect((await cancel(id)).reply.response).toEqual(r.reply.response);
  });

  it("answers SUCCESS, retry_flag=N and no trade_no for a trade that never existed", async () => {
    const r = await cancel("never-existed");
    expect(r.reply.response).toEqual({ result_code: "SUCCESS", retry_flag: "N", out_trade_no: "never-existed" });
  });

  it("reverses a paid trade until 00:00 GMT+8, refuses from then on (day rollover)", async () => {
    const local = await startSandbox({ startTime: "2024-05-10T23:58:00+08:00" });
    try {
      const pay = (id: string) =>
        callGateway(local, {
          service: "alipay.acquire.overseas.spot.pay",
          alipay_seller_id: local.partner,
          trans_name: "x",
          partner_trans_id: id,
          currency: "HKD",
          trans_amount: "9.00",
          buyer_identity_code: "280000000000000001",
          identity_code_type: "barcode",
        });
      const cancelLocal = (id: string) => callGateway(local, { service: "alipay.acquire.cancel", out_trade_no: id });
      await pay("before-midnight");
      await pay("after-midnight");
      local.advanceClock("1m"); // 23:59
      expect((await cancelLocal("before-midnight")).reply.response).toMatchObject({ result_code: "SUCCESS", action: "refund", retry_flag: "N" });
      local.advanceClock("1m"); // 00:00 of the next GMT+8 day
      expect((await cancelLocal("after-midnight")).reply.response).toMatchObject({ result_code: "FAIL", error: "TRADE_STATUS_ERROR", retry_flag: "N" });
      // The merchant refunds instead.
      const refundLate = await callGateway(local, {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: "after-midnight",
        partner_refund_id: "after-midnight-r",
        refund_amount: "9.00",
        currency: "HKD",
        is_sync: "Y",
      });
      expect(refundLate.reply.response.result_code).toBe("SUCCESS");
    } finally {
      await local.close();
    }
  });

  it("a cancelled paid trade cannot be refunded; a partly refunded one cannot be cancelled", async () => {
    const reversed = await paidTrade("10.00");
    await cancel(reversed);
    expect((await refund(reversed, `${reversed}-r`, "1.00")).reply.response.error).toBe("TRADE_HAS_CLOSE");
    const partly = await paidTrade("10.00");
    await refund(partly, `${partly}-r`, "1.00");
    expect((await cancel(partly)).reply.response).toMatchObject({ result_code: "FAIL", error: "TRADE_STATUS_ERROR", retry_flag: "N" });
  });

  it("the cancelRetryFlag fault answers retry_flag=Y once, without doing anything", async () => {
    const id = await paidTrade("3.00");
    sandbox.addFault({ cancelRetryFlag: true, once: true, partnerTransId: id });
    expect((await cancel(id)).reply.response).toMatchObject({ result_code: "FAIL", error: "SYSTEM_ERROR", retry_flag: "Y" });
    expect(await status(id)).toBe("TRADE_SUCCESS");
    expect((await cancel(id)).reply.response).toMatchObject({ result_code: "SUCCESS", action: "refund" });
  });

  it("finds the trade by trade_no too", async () => {
    const id = await paidTrade("3.00");
    const tradeNo = sandbox.trades().find((t) => t.out_trade_no === id)!.trade_no;
    const r = await callGateway(sandbox, { service: "alipay.acquire.cancel", trade_no: tradeNo });
    expect(r.reply.response).toMatchObject({ result_code: "SUCCESS", out_trade_no: id, action: "refund" });
  });
});
