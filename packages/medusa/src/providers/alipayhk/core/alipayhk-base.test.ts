import { MedusaError, PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils";
import { DEFAULT_POLICY } from "@alipayhk/core";
import { buildSignedNotification, scriptedGateway, type ScriptedReply } from "@alipayhk/core/testing";
import { describe, expect, it } from "vitest";
import { AlipayHkBarcodeService } from "../services/alipayhk-barcode";
import { refundReasonText } from "./alipayhk-base";
import { AlipayHkQrService } from "../services/alipayhk-qr";
import type { AlipayHkPaymentData } from "../types";
import { sessionIdOf, sessionStatusOf } from "../trade-data";

const md5Key = "0123456789abcdefghijklmnopqrstuv";
const key = { signType: "MD5" as const, md5Key };
const options = { partner: "2088101122136241", signType: "MD5" as const, md5Key };
const quietLogger = { warn: () => undefined, error: () => undefined, info: () => undefined };

function gateway(handle: (params: Record<string, string>, index: number) => ScriptedReply) {
  const scripted = scriptedGateway(key, handle);
  return { requests: scripted.requests, options: { ...options, transport: scripted.transport } };
}

const paidData: AlipayHkPaymentData = {
  session_id: "payses_01",
  partner_trans_id: "payses_01",
  method: "qr",
  amount: "100.00",
  currency: "HKD",
  trade_status: "paid",
};

describe("session ids and statuses", () => {
  it("maps a re-created trade back to its session", () => {
    expect(sessionIdOf("payses_01ABC")).toBe("payses_01ABC");
    expect(sessionIdOf("payses_01ABC.2")).toBe("payses_01ABC");
  });

  it("never reports an open trade as failed", () => {
    expect(sessionStatusOf("paid")).toBe(PaymentSessionStatus.CAPTURED);
    expect(sessionStatusOf("closed")).toBe(PaymentSessionStatus.CANCELED);
    expect(sessionStatusOf("failed")).toBe(PaymentSessionStatus.ERROR);
    expect(sessionStatusOf("unknown")).toBe(PaymentSessionStatus.PENDING);
    expect(sessionStatusOf("unresolved")).toBe(PaymentSessionStatus.PENDING);
    expect(sessionStatusOf(undefined)).toBe(PaymentSessionStatus.PENDING);
  });
});

describe("getWebhookActionAndData", () => {
  const partner = options.partner;
  const notification = (fields: Record<string, string>) =>
    buildSignedNotification(
      { notify_id: "n1", notify_type: "trade_status_sync", notify_time: "2026-11-21 10:00:00", seller_id: partner, currency: "HKD", ...fields },
      key,
    );
  /** The payment module's session service as the provider finds it in its container. */
  const sessions = (records: Record<string, { provider_id?: string; data: Record<string, unknown> }>) => ({
    retrieve: async (id: string) => {
      const found = records[id];
      if (!found) throw new MedusaError(MedusaError.Types.NOT_FOUND, `PaymentSession with id: ${id} was not found`);
      return { id, ...found };
    },
  });
  const session = (partnerTransId: string, amount: string) => ({
    provider_id: "pp_alipayhk-qr_alipayhk",
    data: { session_id: partnerTransId.split(".")[0], partner_trans_id: partnerTransId, method: "qr", amount, currency: "HKD", trade_status: "pending" },
  });
  const queryPaid = (amount: string) =>
    gateway((params) => ({
      response: {
        result_code: "SUCCESS",
        partner_trans_id: params.partner_trans_id!,
        alipay_trans_id: "2026112122001009",
        alipay_trans_status: "TRADE_SUCCESS",
        trans_amount: amount,
        currency: "HKD",
      },
    }));
  const provider = (gw: ReturnType<typeof gateway>, records: Parameters<typeof sessions>[0]) =>
    new AlipayHkQrService({ logger: quietLogger, paymentSessionService: sessions(records) }, gw.options);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as MedusaError,
    );

  it("turns a verified, query-confirmed payment of a session's trade into `captured` with the checked amount", async () => {
    const gw = queryPaid("12.30");
    const rawData = notification({ out_trade_no: "payses_01.2", trade_status: "TRADE_SUCCESS", total_fee: "12.30" });
    const result = await provider(gw, { payses_01: session("payses_01.2", "12.30") }).getWebhookActionAndData({
      data: {},
      rawData: Buffer.from(rawData),
      headers: {},
    });
    expect(result).toEqual({ action: PaymentActions.SUCCESSFUL, data: { session_id: "payses_01", amount: 12.3 } });
    expect(gw.requests.map((r) => r.service)).toEqual(["alipay.acquire.overseas.query"]);
  });

  it("reports a confirmed close as canceled", async () => {
    const gw = gateway((params) => ({
      response: { result_code: "SUCCESS", partner_trans_id: params.partner_trans_id!, alipay_trans_status: "TRADE_CLOSED", trans_amount: "5.00" },
    }));
    const closed = await provider(gw, { payses_02: session("payses_02", "5.00") }).getWebhookActionAndData({
      data: {},
      rawData: notification({ out_trade_no: "payses_02", trade_status: "TRADE_CLOSED", total_fee: "5.00" }),
      headers: {},
    });
    expect(closed).toEqual({ action: PaymentActions.CANCELED, data: { session_id: "payses_02", amount: 5 } });
  });

  it("a trade closed when the amount changed is still known: its notifications are checked and change nothing", async () => {
    const replaced = {
      ...session("payses_05.2", "7.00"),
      data: { ...session("payses_05.2", "7.00").data, previous_trades: [{ partner_trans_id: "payses_05", amount: "5.00" }] },
    };
    const closedGw = gateway((params) => ({
      response: { result_code: "SUCCESS", partner_trans_id: params.partner_trans_id!, alipay_trans_status: "TRADE_CLOSED", trans_amount: "5.00" },
    }));
    const closed = await provider(closedGw, { payses_05: replaced }).getWebhookActionAndData({
      data: {},
      rawData: notification({ out_trade_no: "payses_05", trade_status: "TRADE_CLOSED", total_fee: "5.00" }),
      headers: {},
    });
    expect(closed).toEqual({ action: PaymentActions.NOT_SUPPORTED });
    // Even a confirmed payment of the old trade never captures the session (its amount is not the session's).
    const paid = await provider(queryPaid("5.00"), { payses_05: replaced }).getWebhookActionAndData({
      data: {},
      rawData: notification({ out_trade_no: "payses_05", total_fee: "5.00", trade_status: "TRADE_SUCCESS" }),
      headers: {},
    });
    expect(paid).toEqual({ action: PaymentActions.NOT_SUPPORTED });
    const wrongAmount = await refusal(
      provider(closedGw, { payses_05: replaced }).getWebhookActionAndData({
        data: {},
        rawData: notification({ out_trade_no: "payses_05", trade_status: "TRADE_CLOSED", total_fee: "7.00" }),
        headers: {},
      }),
    );
    expect(wrongAmount!.message).toMatch(/amount_mismatch/);
  });

  it("refuses, before any query, what is not a trade of this store or does not match it", async () => {
    const gw = queryPaid("12.30");
    const p = provider(gw, {
      payses_01: session("payses_01", "12.30"),
      payses_B: { ...session("payses_B", "12.30"), provider_id: "pp_alipayhk-barcode_alipayhk" },
    });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ out_trade_no: "pos-77", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }, /unknown_trade/], // not a session id
      [{ out_trade_no: "payses_NOPE", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }, /unknown_trade/], // no such session
      [{ out_trade_no: "payses_01.2", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }, /unknown_trade/], // not the session's current trade
      [{ out_trade_no: "payses_B", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }, /unknown_trade/], // another provider's session
      [{ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "0.01" }, /amount_mismatch/],
      [{ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS" }, /missing_amount/],
      [{ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30", currency: "USD" }, /currency_mismatch/],
      [{ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30", seller_id: "2088000000000001" }, /partner_mismatch/],
    ];
    for (const [fields, reason] of cases) {
      const error = await refusal(p.getWebhookActionAndData({ data: {}, rawData: notification(fields), headers: {} }));
      expect(error, JSON.stringify(fields)).toBeInstanceOf(MedusaError);
      expect(error!.type).toBe(MedusaError.Types.INVALID_DATA);
      expect(error!.message).toMatch(reason);
    }
    expect(gw.requests).toHaveLength(0);
  });

  it("rejects a notification whose signature does not verify", async () => {
    const gw = queryPaid("12.30");
    const forged = notification({ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }).replace("12.30", "0.01");
    const error = await refusal(provider(gw, { payses_01: session("payses_01", "0.01") }).getWebhookActionAndData({ data: {}, rawData: forged, headers: {} }));
    expect(error!.type).toBe(MedusaError.Types.INVALID_DATA);
    expect(error!.message).toMatch(/bad_signature/);
    expect(gw.requests).toHaveLength(0);
  });

  it("a genuine claim the query does not confirm, or a query that fails, is refused as retryable", async () => {
    const waiting = gateway((params) => ({
      response: { result_code: "SUCCESS", partner_trans_id: params.partner_trans_id!, alipay_trans_status: "WAIT_BUYER_PAY", trans_amount: "12.30" },
    }));
    const rawData = notification({ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30" });
    const unconfirmed = await refusal(
      provider(waiting, { payses_01: session("payses_01", "12.30") }).getWebhookActionAndData({ data: {}, rawData, headers: {} }),
    );
    expect(unconfirmed!.type).toBe(MedusaError.Types.UNEXPECTED_STATE);
    expect(unconfirmed!.message).toMatch(/not_confirmed/);
    const down = gateway(() => ({ fault: "timeout" }));
    const failed = await refusal(provider(down, { payses_01: session("payses_01", "12.30") }).getWebhookActionAndData({ data: {}, rawData, headers: {} }));
    expect(failed!.type).toBe(MedusaError.Types.UNEXPECTED_STATE);
    expect(failed!.message).toMatch(/confirm_failed/);
  });

  it("a provider built outside the payment module knows no session and refuses everything", async () => {
    const gw = queryPaid("12.30");
    const bare = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    const error = await refusal(
      bare.getWebhookActionAndData({
        data: {},
        rawData: notification({ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }),
        headers: {},
      }),
    );
    expect(error!.message).toMatch(/unknown_trade/);
  });
});

describe("refundPayment", () => {
  it("refunds with an id derived from Medusa's refund id, and records it", async () => {
    const gw = gateway(() => ({ response: { result_code: "SUCCESS" } }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    const { data } = await provider.refundPayment({ data: paidData, amount: { value: "40", precision: 20 } as never, context: { idempotency_key: "ref_1" } });
    expect(gw.requests).toHaveLength(1);
    expect(gw.requests[0]).toMatchObject({
      service: "alipay.acquire.overseas.spot.refund",
      partner_trans_id: "payses_01",
      refund_amount: "40.00",
      is_sync: "Y",
    });
    const record = (data as AlipayHkPaymentData).refunds?.[0];
    expect(record).toMatchObject({ refund_id: "ref_1", amount: "40.00", status: "succeeded", partner_refund_id: gw.requests[0]!.partner_refund_id });

    // Medusa retrying the same refund finds it done and sends nothing.
    await provider.refundPayment({ data: data!, amount: 40, context: { idempotency_key: "ref_1" } });
    expect(gw.requests).toHaveLength(1);

    // A second partial refund is a distinct Alipay refund.
    const second = await provider.refundPayment({ data: data!, amount: 10, context: { idempotency_key: "ref_2" } });
    expect(gw.requests[1]!.partner_refund_id).not.toBe(gw.requests[0]!.partner_refund_id);
    expect((second.data as AlipayHkPaymentData).refunds?.map((r) => r.refund_id)).toEqual(["ref_1", "ref_2"]);
  });

  it("throws when Alipay refuses, so Medusa drops its refund", async () => {
    const gw = gateway(() => ({ response: { result_code: "FAIL", error: "REFUND_AMT_RESTRICTION" } }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    await expect(provider.refundPayment({ data: paidData, amount: 500, context: { idempotency_key: "ref_3" } })).rejects.toThrow(
      /refused the refund of HKD 500.00 on payses_01: REFUND_AMT_RESTRICTION/,
    );
  });

  it("needs Medusa's refund id", async () => {
    const provider = new AlipayHkQrService({ logger: quietLogger }, options);
    await expect(provider.refundPayment({ data: paidData, amount: 5 })).rejects.toThrow(/context\.idempotency_key/);
  });
});

describe("alipayhk-qr initiatePayment", () => {
  it("creates the QR trade for the session and renders it", async () => {
    const gw = gateway((params) => ({ response: { result_code: "SUCCESS", out_trade_no: params.out_trade_no!, qr_code: "https://qr.alipay.com/bax0001" } }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, { ...gw.options, notifyUrl: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk" });
    const result = await provider.initiatePayment({ amount: 12.3, currency_code: "hkd", data: { session_id: "payses_9" } });
    expect(result.id).toBe("payses_9");
    expect(result.status).toBe(PaymentSessionStatus.PENDING);
    expect(result.data).toMatchObject({ partner_trans_id: "payses_9", amount: "12.30", qr_code: "https://qr.alipay.com/bax0001", trade_status: "pending" });
    expect(result.data).not.toHaveProperty("qr_image");
    expect(Date.parse(String(result.data?.expires_at))).toBeGreaterThan(0);
    expect(gw.requests[0]).toMatchObject({
      service: "alipay.acquire.precreate",
      out_trade_no: "payses_9",
      total_fee: "12.30",
      notify_url: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk",
    });
  });

  it("refuses another currency than HKD, naming it", async () => {
    const provider = new AlipayHkQrService({ logger: quietLogger }, options);
    await expect(provider.initiatePayment({ amount: 10, currency_code: "usd", data: { session_id: "payses_9" } })).rejects.toThrow(
      /HKD only, this payment is in USD/,
    );
  });
});

describe("alipayhk-barcode authorizePayment", () => {
  it("charges the code once and keeps the wallet; a settled charge is never sent again", async () => {
    const gw = gateway((params) => ({
      response: {
        result_code: "SUCCESS",
        partner_trans_id: params.partner_trans_id!,
        alipay_trans_id: "2026112121001003",
        trans_amount: params.trans_amount!,
        payment_inst: "ALIPAYCN",
        alipay_pay_time: "20261121100000",
      },
    }));
    const provider = new AlipayHkBarcodeService({ logger: quietLogger }, gw.options);
    const session = await provider.initiatePayment({ amount: 88, currency_code: "hkd", data: { session_id: "payses_b1", buyer_code: "280000000000000002" } });
    expect(gw.requests).toHaveLength(0);
    // What the Store API would show the storefront: the code masked, never in clear.
    expect(session.data?.buyer_code).toBe("2800**********0002");
    expect(JSON.stringify(session.data)).not.toContain("280000000000000002");
    const first = await provider.authorizePayment({ data: session.data });
    expect(first.status).toBe(PaymentSessionStatus.CAPTURED);
    expect(first.data).toMatchObject({ trade_status: "paid", payment_inst: "ALIPAYCN", alipay_trans_id: "2026112121001003" });
    expect(first.data).not.toHaveProperty("buyer_code");
    expect(first.data).not.toHaveProperty("buyer_code_sealed");
    expect(gw.requests[0]).toMatchObject({
      service: "alipay.acquire.overseas.spot.pay",
      partner_trans_id: "payses_b1",
      trans_amount: "88.00",
      buyer_identity_code: "280000000000000002",
    });

    const again = await provider.authorizePayment({ data: first.data });
    expect(again.status).toBe(PaymentSessionStatus.CAPTURED);
    expect(gw.requests).toHaveLength(1);

    const failed = await provider.authorizePayment({ data: { ...session.data, trade_status: "failed" } });
    expect(failed.status).toBe(PaymentSessionStatus.ERROR);
    expect(gw.requests).toHaveLength(1);
  });

  it("needs the buyer's code", async () => {
    const provider = new AlipayHkBarcodeService({ logger: quietLogger }, options);
    await expect(provider.initiatePayment({ amount: 5, currency_code: "hkd", data: { session_id: "payses_b2" } })).rejects.toThrow(
      /data\.buyer_code is missing/,
    );
  });
});

describe("retrievePayment and getPaymentStatus", () => {
  it("query the trade and merge what Alipay reports", async () => {
    const gw = gateway((params) => ({
      response: {
        result_code: "SUCCESS",
        partner_trans_id: params.partner_trans_id!,
        alipay_trans_id: "2026112122001004",
        alipay_trans_status: "TRADE_SUCCESS",
        trans_amount: "100.00",
        payment_inst: "ALIPAYHK",
        alipay_buyer_login_id: "852-****0654",
      },
    }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    const pending = { ...paidData, trade_status: "pending" as const };
    const retrieved = await provider.retrievePayment({ data: pending });
    expect(retrieved.data).toMatchObject({
      trade_status: "paid",
      alipay_trans_id: "2026112122001004",
      payment_inst: "ALIPAYHK",
      buyer_login_id: "852-****0654",
    });
    const status = await provider.getPaymentStatus({ data: pending });
    expect(status.status).toBe(PaymentSessionStatus.CAPTURED);
    expect(gw.requests.map((r) => r.service)).toEqual(["alipay.acquire.overseas.query", "alipay.acquire.overseas.query"]);
  });

  it("report an unanswered query as still pending, never as failed", async () => {
    const gw = gateway(() => ({ fault: "timeout" }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    const status = await provider.getPaymentStatus({ data: { ...paidData, trade_status: "pending" } });
    expect(status.status).toBe(PaymentSessionStatus.PENDING);
  });
});

describe("applyEvents: the one place core's events change the payment data", () => {
  const logs: string[] = [];
  const logger = { warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`), info: () => undefined };
  const qr = new AlipayHkQrService({ logger }, options);
  const barcode = new AlipayHkBarcodeService({ logger }, options);
  const refundBase = { partnerTransId: "payses_01", platformRefundId: "ref_1", partnerRefundId: "prf_1", amount: 4000, source: "sweep" as const };
  const pendingRefund: AlipayHkPaymentData = {
    ...paidData,
    refunds: [{ refund_id: "ref_1", partner_refund_id: "prf_1", amount: "40.00", status: "pending", reason: "Damaged", at: "2026-11-21T00:00:00.000Z" }],
  };

  it("a pending refund is never shown as failed, and a confirmed one is never downgraded", () => {
    const stillOpen = qr.applyEvents(pendingRefund, [{ type: "refund.pending", ...refundBase, reason: "UNKNOW" }]);
    expect(stillOpen.refunds).toEqual([expect.objectContaining({ refund_id: "ref_1", status: "pending", code: "UNKNOW", reason: "Damaged" })]);
    const succeeded = qr.applyEvents(stillOpen, [{ type: "refund.succeeded", ...refundBase }]);
    expect(succeeded.refunds?.[0]).toMatchObject({ status: "succeeded", reason: "Damaged" });
    expect(succeeded.refunds?.[0]).not.toHaveProperty("code");
    for (const later of [
      { type: "refund.pending" as const, ...refundBase, reason: "UNKNOW" },
      { type: "refund.failed" as const, ...refundBase, code: "SYSTEM_ERROR" },
    ]) {
      expect(qr.applyEvents(succeeded, [later]).refunds?.[0]?.status).toBe("succeeded");
    }
  });

  it("a refund recorded failed that later succeeds moves out of failed, as a logged correction", () => {
    logs.length = 0;
    const failed = qr.applyEvents(pendingRefund, [{ type: "refund.failed", ...refundBase, code: "REFUND_AMT_RESTRICTION" }]);
    expect(failed.refunds?.[0]).toMatchObject({ status: "failed", code: "REFUND_AMT_RESTRICTION" });
    expect(logs).toEqual([expect.stringMatching(/^error .*ref_1.*refused by Alipay \(REFUND_AMT_RESTRICTION\)/)]);
    const corrected = qr.applyEvents(failed, [{ type: "refund.succeeded", ...refundBase }]);
    expect(corrected.refunds?.[0]).toMatchObject({ status: "succeeded", corrected_at: expect.any(String) });
    expect(logs[1]).toMatch(/^warn .*ref_1.*recorded as failed, succeeded at Alipay after all/);
  });

  it("a mismatched payment is never paid: flagged for a person, the session stays pending", () => {
    logs.length = 0;
    const open: AlipayHkPaymentData = { ...paidData, trade_status: "pending" };
    const event = {
      type: "trade.mismatch" as const,
      partnerTransId: "payses_01",
      source: "sweep" as const,
      expectedAmount: 10000,
      reportedAmount: 1,
      reportedCurrency: "HKD",
    };
    const flagged = qr.applyEvents(open, [event]);
    expect(flagged.trade_status).toBe("pending");
    expect(sessionStatusOf(flagged.trade_status)).toBe(PaymentSessionStatus.PENDING);
    expect(flagged.mismatch).toMatchObject({ expected_amount: "100.00", reported_amount: "0.01", reported_currency: "HKD" });
    expect(logs).toEqual([expect.stringMatching(/^error .*payses_01.*HKD 0.01.*HKD 100.00.*not authorized/)]);
    // Seen again on the next sweep: still flagged, logged once.
    qr.applyEvents(flagged, [event]);
    expect(logs).toHaveLength(1);
  });

  it("a barcode charge reported for another amount is never captured", async () => {
    logs.length = 0;
    const gw = gateway((params) => ({
      response: {
        result_code: "SUCCESS",
        partner_trans_id: params.partner_trans_id!,
        alipay_trans_id: "2026112121001099",
        trans_amount: "0.01",
        payment_inst: "ALIPAYHK",
      },
    }));
    const provider = new AlipayHkBarcodeService({ logger }, gw.options);
    const session = await provider.initiatePayment({ amount: 88, currency_code: "hkd", data: { session_id: "payses_m1", buyer_code: "280000000000000002" } });
    const result = await provider.authorizePayment({ data: session.data });
    expect(result.status).toBe(PaymentSessionStatus.PENDING);
    expect(result.data).toMatchObject({ trade_status: "unresolved", mismatch: { expected_amount: "88.00", reported_amount: "0.01" } });
    expect(result.data).not.toHaveProperty("buyer_code");
    expect(gw.requests.filter((r) => r.service === "alipay.acquire.overseas.spot.pay")).toHaveLength(1);
    expect(logs.some((l) => l.startsWith("error ") && l.includes("payses_m1"))).toBe(true);
  });

  it("a cancelled id Alipay did not know is watched; a late charge is recorded; the watch ends", () => {
    const open: AlipayHkPaymentData = {
      ...paidData,
      method: "barcode",
      partner_trans_id: "payses_01",
      trade_status: "unresolved",
      buyer_code: "280000000000000009",
    };
    const until = new Date("2026-11-21T10:20:00.000Z");
    const closed = barcode.applyEvents(open, [
      { type: "trade.closed", partnerTransId: "payses_01", source: "barcode", reversed: false, cause: "outcome_unknown", watchUntil: until },
    ]);
    expect(closed).toMatchObject({ trade_status: "closed", cancel_status: "closed", watch_until: until.toISOString() });
    expect(closed).not.toHaveProperty("buyer_code");
    // Still being given back: the watch goes on.
    const pending = barcode.applyEvents(closed, [
      {
        type: "late_charge.found",
        partnerTransId: "payses_01",
        source: "watch",
        amount: 10000,
        alipayTransId: "T9",
        resolution: "pending",
        code: "SYSTEM_ERROR",
      },
    ]);
    expect(pending).toMatchObject({ watch_until: until.toISOString(), late_charge: { resolution: "pending" } });
    // Given back: one id holds one charge, so the watch is over; the record stays.
    const late = barcode.applyEvents(pending, [
      { type: "late_charge.found", partnerTransId: "payses_01", source: "watch", amount: 10000, alipayTransId: "T9", resolution: "refunded" },
    ]);
    expect(late).toMatchObject({ trade_status: "closed", watch_until: null, late_charge: { resolution: "refunded", amount: "100.00", alipay_trans_id: "T9" } });
    // Nothing found until the end of the window: the watch ends too.
    const quiet = barcode.applyEvents(closed, [{ type: "watch.ended", partnerTransId: "payses_01", source: "watch" }]);
    expect(quiet.watch_until).toBeNull();
  });

  it("a payment reported for a trade recorded closed is kept as a late payment, never as paid", () => {
    const closed: AlipayHkPaymentData = { ...paidData, trade_status: "closed" };
    const after = qr.applyEvents(closed, [
      { type: "trade.paid", partnerTransId: "payses_01", source: "sweep", amount: 10000, currency: "HKD", alipayTransId: "T1" },
    ]);
    expect(after).toMatchObject({ trade_status: "closed", late_payment: { amount: "100.00", alipay_trans_id: "T1" } });
  });

  it("ignores events about another trade", () => {
    const open: AlipayHkPaymentData = { ...paidData, trade_status: "pending" };
    expect(qr.applyEvents(open, [{ type: "trade.paid", partnerTransId: "payses_02", source: "sweep", amount: 10000, currency: "HKD" }])).toEqual(open);
  });
});

describe("refund reasons", () => {
  it("sends Medusa's refund note made safe, stores it, and resends exactly it", async () => {
    // Open for every attempt of the live request (core's policy), then settled on the resend.
    let call = 0;
    const gw = gateway(() => (call++ < DEFAULT_POLICY.refundAttempts ? { response: { result_code: "UNKNOW" } } : { response: { result_code: "SUCCESS" } }));
    const refundService = { retrieve: async (id: string) => ({ id, note: "Damaged & returned =  twice" }) };
    const provider = new AlipayHkQrService({ logger: quietLogger, refundService }, { ...gw.options });
    const first = await provider.refundPayment({ data: paidData, amount: 40, context: { idempotency_key: "ref_r1" } });
    const record = (first.data as AlipayHkPaymentData).refunds?.[0];
    expect(record).toMatchObject({ refund_id: "ref_r1", status: "pending", reason: "Damaged and returned - twice" });
    const sent = gw.requests.filter((r) => r.service === "alipay.acquire.overseas.spot.refund");
    expect(sent).toHaveLength(DEFAULT_POLICY.refundAttempts);
    expect(new Set(sent.map((r) => r.refund_reson))).toEqual(new Set(["Damaged and returned - twice"]));

    const resent = await provider.retryOpenRefunds(first.data as AlipayHkPaymentData);
    expect(resent?.refunds?.[0]).toMatchObject({ status: "succeeded", reason: "Damaged and returned - twice" });
    const last = gw.requests.at(-1)!;
    expect(last).toMatchObject({ partner_refund_id: sent[0]!.partner_refund_id, refund_amount: "40.00", refund_reson: "Damaged and returned - twice" });
  });

  it("makes any note safe for the signed field", () => {
    expect(refundReasonText("a&b=c")).toBe("a and b-c");
    expect(refundReasonText("   ")).toBeUndefined();
    expect(refundReasonText(null)).toBeUndefined();
    expect(refundReasonText("x".repeat(300))).toHaveLength(256);
  });
});
