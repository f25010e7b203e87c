/** Barcode payments: every magic buyer code, and `partner_trans_id` idempotency. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RunningSandbox } from "../src/index";
import { admin, callGateway, uid, waitFor } from "./helpers";

let sandbox: RunningSandbox;
beforeAll(async () => {
  // The "wait" code confirms after one sandbox minute: the tests move the clock instead of waiting.
  sandbox = await startSandbox({ barcodeWaitMs: 60_000, startTime: "2024-01-01T09:00:00+08:00" });
});
afterAll(() => sandbox.close());

const spotPay = (id: string, code: string, amount = "25.00", extra: Record<string, string> = {}) =>
  callGateway(sandbox, {
    service: "alipay.acquire.overseas.spot.pay",
    alipay_seller_id: sandbox.partner,
    trans_name: "Milk tea",
    partner_trans_id: id,
    currency: "HKD",
    trans_amount: amount,
    buyer_identity_code: code,
    identity_code_type: "barcode",
    trans_create_time: "20240101120000",
    ...extra,
  });
const query = async (id: string) => (await callGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: id })).reply.response;
const cancel = async (id: string) =>
  (await callGateway(sandbox, { service: "alipay.acquire.cancel", out_trade_no: id, timestamp: String(Date.now()) })).reply.response;

describe("magic buyer codes", () => {
  it("…01 pays from an AlipayHK wallet, …02 from an Alipay (CN) wallet, any other valid code from AlipayHK", async () => {
    const hk = await spotPay(uid(), "280000000000000001");
    expect(hk.signatureValid).toBe(true);
    expect(hk.reply.response).toMatchObject({
      result_code: "SUCCESS",
      payment_inst: "ALIPAYHK",
      alipay_buyer_login_id: "852-****0654",
      alipay_buyer_user_id: "2088042172056571",
    });
    const cn = await spotPay(uid(), "280000000000000002");
    expect(cn.reply.response).toMatchObject({ result_code: "SUCCESS", payment_inst: "ALIPAYCN", alipay_buyer_login_id: "132****6685" });
    for (const code of ["2512345678901234", "301234567890123456789012", "289999999999999999"]) {
      expect((await spotPay(uid(), code)).reply.response).toMatchObject({ result_code: "SUCCESS", payment_inst: "ALIPAYHK" });
    }
  });

  it("…03 BUYER_BALANCE_NOT_ENOUGH and …04 NOT_SUPPORT_PAYMENT_INST fail, nothing charged", async () => {
    for (const [code, error] of [
      ["280000000000000003", "BUYER_BALANCE_NOT_ENOUGH"],
      ["280000000000000004", "NOT_SUPPORT_PAYMENT_INST"],
    ] as const) {
      const id = uid();
      const r = await spotPay(id, code);
      expect(r.reply.response).toEqual({ result_code: "FAILED", error, partner_trans_id: id });
      expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_CLOSED" });
      expect((await query(id)).payment_inst).toBeUndefined();
    }
  });

  it("…05 answers UNKNOW, waits for the buyer (WAIT_BUYER_PAY), then is paid after barcodeWaitMs", async () => {
    const id = uid();
    expect((await spotPay(id, "280000000000000005")).reply.response).toEqual({ result_code: "UNKNOW", error: "USER_PAYING", partner_trans_id: id });
    expect(await query(id)).toMatchObject({ alipay_trans_status: "WAIT_BUYER_PAY" });
    sandbox.advanceClock("61s");
    expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_SUCCESS", payment_inst: "ALIPAYHK" });
  });

  it("…05 with a real (scaled) timer: paid without the clock being moved", async () => {
    const fast = await startSandbox({ barcodeWaitMs: 60_000, timeScale: 0.0005 });
    try {
      const id = uid();
      await callGateway(fast, {
        service: "alipay.acquire.overseas.spot.pay",
        alipay_seller_id: fast.partner,
        trans_name: "x",
        partner_trans_id: id,
        currency: "HKD",
        trans_amount: "1.00",
        buyer_identity_code: "280000000000000005",
        identity_code_type: "barcode",
      });
      const trade = await waitFor(() => fast.trades().find((t) => t.out_trade_no === id && t.status === "TRADE_SUCCESS"), "the buyer to confirm");
      expect(trade.payment_inst).toBe("ALIPAYHK");
    } finally {
      await fast.close();
    }
  });

  it("…06 answers UNKNOW but the charge went through", async () => {
    const id = uid();
    expect((await spotPay(id, "280000000000000006")).reply.response).toEqual({ result_code: "UNKNOW", error: "SYSTEM_ERROR", partner_trans_id: id });
    expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_SUCCESS" });
  });

  it("…07 answers UNKNOW and nothing was charged", async () => {
    const id = uid();
    expect((await spotPay(id, "280000000000000007")).reply.response.result_code).toBe("UNKNOW");
    expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_CLOSED" });
    expect(await cancel(id)).toMatchObject({ result_code: "SUCCESS", retry_flag: "N", action: "close" });
  });

  it("…08 sends no reply at all, while the charge succeeds", async () => {
    const id = uid();
    await expect(spotPay(id, "280000000000000008")).rejects.toThrow();
    expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_SUCCESS" });
    // A retry of the same request learns the outcome.
    expect((await spotPay(id, "280000000000000008")).reply.response).toMatchObject({ result_code: "SUCCESS", partner_trans_id: id });
  });

  it("…09 answers UNKNOW, stays WAIT_BUYER_PAY, and its first cancel answers retry_flag=Y", async () => {
    const id = uid();
    expect((await spotPay(id, "280000000000000009")).reply.response.result_code).toBe("UNKNOW");
    expect(await query(id)).toMatchObject({ alipay_trans_status: "WAIT_BUYER_PAY" });
    expect(await cancel(id)).toMatchObject({ result_code: "FAIL", error: "SYSTEM_ERROR", retry_flag: "Y" });
    expect(await cancel(id)).toMatchObject({ result_code: "SUCCESS", retry_flag: "N", action: "close" });
    expect(await query(id)).toMatchObject({ alipay_trans_status: "TRADE_CLOSED" });
  });

  it("…10 waits until the buyer pays (or declines) in the wallet", async () => {
    const paid = uid();
    expect((await spotPay(paid, "280000000000000010")).reply.response).toMatchObject({ result_code: "UNKNOW", error: "USER_PAYING" });
    sandbox.advanceClock("1h");
    expect(await query(paid)).toMatchObject({ alipay_trans_status: "WAIT_BUYER_PAY" });
    expect((await admin(sandbox, "POST", `/sandbox/trades/${paid}/pay`, { wallet: "ALIPAYCN" })).status).toBe(200);
    expect(await query(paid)).toMatchObject({ alipay_trans_status: "TRADE_SUCCESS", payment_inst: "ALIPAYCN" });
    const declined = uid();
    await spotPay(declined, "280000000000000010");
    expect((await admin(sandbox, "POST", `/sandbox/trades/${declined}/decline`)).status).toBe(200);
    expect(await query(declined)).toMatchObject({ alipay_trans_status: "TRADE_CLOSED" });
  });

  it("a code no wallet could show fails with SOUNDWAVE_PARSER_FAIL; a non-HKD currency with CURRENCY_NOT_SUPPORT", async () => {
    expect((await spotPay(uid(), "123456")).reply.response).toMatchObject({ result_code: "FAILED", error: "SOUNDWAVE_PARSER_FAIL" });
    expect((await spotPay(uid(), "241234567890123456")).reply.response).toMatchObject({ result_code: "FAILED", error: "SOUNDWAVE_PARSER_FAIL" });
    expect((await spotPay(uid(), "280000000000000001", "1.00", { currency: "USD" })).reply.response).toMatchObject({
      result_code: "FAILED",
      error: "CURRENCY_NOT_SUPPORT",
    });
  });
});

describe("partner_trans_id idempotency", () => {
  it("the same request gives the same result and charges once", async () => {
    const id = uid();
    const first = await spotPay(id, "280000000000000001");
    // Sent again later (new trans_create_time, other charset placement): the same request.
    const again = await spotPay(id, "280000000000000001", "25.00", { trans_create_time: "20240101120005" });
    expect(again.reply.response).toEqual(first.reply.response);
    expect(sandbox.trades().filter((t) => t.out_trade_no === id)).toHaveLength(1);
  });

  it("the same id with other content answers CONTEXT_INCONSISTENT", async () => {
    const id = uid();
    await spotPay(id, "280000000000000001", "25.00");
    expect((await spotPay(id, "280000000000000001", "26.00")).reply.response).toEqual({
      result_code: "FAILED",
      error: "CONTEXT_INCONSISTENT",
      partner_trans_id: id,
    });
    expect((await spotPay(id, "280000000000000002", "25.00")).reply.response.error).toBe("CONTEXT_INCONSISTENT");
  });

  it("a repeated UNKNOW answers UNKNOW while nothing changed, and the new state once it did", async () => {
    const id = uid();
    const first = await spotPay(id, "280000000000000006");
    expect((await spotPay(id, "280000000000000006")).reply.response).toEqual(first.reply.response);
    await cancel(id);
    expect((await spotPay(id, "280000000000000006")).reply.response).toMatchObject({ result_code: "FAILED", error: "TRADE_HAS_CLOSE" });
  });

  it("a failed charge answers the same failure again", async () => {
    const id = uid();
    const first = await spotPay(id, "280000000000000003");
    expect((await spotPay(id, "280000000000000003")).reply.response).toEqual(first.reply.response);
  });

  it("precreate: same out_trade_no and content → the same QR; other content → CONTEXT_INCONSISTENT; paid → TRADE_HAS_SUCCESS", async () => {
    const id = uid();
    const pre = (fee: string) =>
      callGateway(sandbox, {
        service: "alipay.acquire.precreate",
        out_trade_no: id,
        subject: "Cake",
        product_code: "OVERSEAS_MBARCODE_PAY",
        total_fee: fee,
        currency: "HKD",
        timestamp: String(Date.now()),
      });
    const first = await pre("40.00");
    const second = await pre("40.00");
    expect(second.reply.response.qr_code).toBe(first.reply.response.qr_code);
    expect((await pre("41.00")).reply.response).toEqual({ result_code: "FAIL", error: "CONTEXT_INCONSISTENT", out_trade_no: id });
    sandbox.payTrade(id);
    expect((await pre("40.00")).reply.response).toMatchObject({ result_code: "FAIL", error: "TRADE_HAS_SUCCESS" });
    // A barcode charge cannot reuse a QR trade's id.
    expect((await spotPay(id, "280000000000000001", "40.00")).reply.response.error).toBe("CONTEXT_INCONSISTENT");
  });
});
