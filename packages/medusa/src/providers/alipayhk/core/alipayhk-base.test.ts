import { MedusaError, PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils";
import { buildSignedNotification, scriptedGateway, type ScriptedReply } from "@alipayhk/core/testing";
import { describe, expect, it } from "vitest";
import { AlipayHkBarcodeService } from "../services/alipayhk-barcode";
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
  const provider = new AlipayHkQrService({ logger: quietLogger }, options);
  const notification = (fields: Record<string, string>) =>
    buildSignedNotification({ notify_id: "n1", notify_type: "trade_status_sync", notify_time: "2026-11-21 10:00:00", ...fields }, key);

  it("turns a verified payment notification into `captured` for its session", async () => {
    const rawData = notification({ out_trade_no: "payses_01.2", trade_status: "TRADE_SUCCESS", total_fee: "12.30", currency: "HKD" });
    const result = await provider.getWebhookActionAndData({ data: {}, rawData: Buffer.from(rawData), headers: {} });
    expect(result).toEqual({ action: PaymentActions.SUCCESSFUL, data: { session_id: "payses_01", amount: 12.3 } });
  });

  it("reports a closed trade as canceled and ignores trades that are not Medusa sessions", async () => {
    const closed = await provider.getWebhookActionAndData({ data: {}, rawData: notification({ out_trade_no: "payses_02", trade_status: "TRADE_CLOSED" }), headers: {} });
    expect(closed.action).toBe(PaymentActions.CANCELED);
    const foreign = await provider.getWebhookActionAndData({ data: {}, rawData: notification({ out_trade_no: "pos-77", trade_status: "TRADE_SUCCESS" }), headers: {} });
    expect(foreign.action).toBe(PaymentActions.NOT_SUPPORTED);
  });

  it("rejects a notification whose signature does not verify, before reading it", async () => {
    const forged = notification({ out_trade_no: "payses_01", trade_status: "TRADE_SUCCESS", total_fee: "12.30" }).replace("12.30", "0.01");
    const error = await provider.getWebhookActionAndData({ data: {}, rawData: forged, headers: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedusaError);
    expect((error as MedusaError).type).toBe(MedusaError.Types.INVALID_DATA);
    expect((error as Error).message).toMatch(/signature/);
  });
});

describe("refundPayment", () => {
  it("refunds with an id derived from Medusa's refund id, and records it", async () => {
    const gw = gateway(() => ({ response: { result_code: "SUCCESS" } }));
    const provider = new AlipayHkQrService({ logger: quietLogger }, gw.options);
    const { data } = await provider.refundPayment({ data: paidData, amount: { value: "40", precision: 20 } as never, context: { idempotency_key: "ref_1" } });
    expect(gw.requests).toHaveLength(1);
    expect(gw.requests[0]).toMatchObject({ service: "alipay.acquire.overseas.spot.refund", partner_trans_id: "payses_01", refund_amount: "40.00", is_sync: "Y" });
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
      /refused the refund of HKD 500.00 on payses_01: REFUND_AMT_RESTRICTION/
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
    expect(gw.requests[0]).toMatchObject({ service: "alipay.acquire.precreate", out_trade_no: "payses_9", total_fee: "12.30", notify_url: "https://shop.example/hooks/alipayhk/alipayhk-qr_alipayhk" });
  });

  it("refuses another currency than HKD, naming it", async () => {
    const provider = new AlipayHkQrService({ logger: quietLogger }, options);
    await expect(provider.initiatePayment({ amount: 10, currency_code: "usd", data: { session_id: "payses_9" } })).rejects.toThrow(/HKD only, this payment is in USD/);
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
    expect(gw.requests[0]).toMatchObject({ service: "alipay.acquire.overseas.spot.pay", partner_trans_id: "payses_b1", trans_amount: "88.00", buyer_identity_code: "280000000000000002" });

    const again = await provider.authorizePayment({ data: first.data });
    expect(again.status).toBe(PaymentSessionStatus.CAPTURED);
    expect(gw.requests).toHaveLength(1);

    const failed = await provider.authorizePayment({ data: { ...session.data, trade_status: "failed" } });
    expect(failed.status).toBe(PaymentSessionStatus.ERROR);
    expect(gw.requests).toHaveLength(1);
  });

  it("needs the buyer's code", async () => {
    const provider = new AlipayHkBarcodeService({ logger: quietLogger }, options);
    await expect(provider.initiatePayment({ amount: 5, currency_code: "hkd", data: { session_id: "payses_b2" } })).rejects.toThrow(/data\.buyer_code is missing/);
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
    expect(retrieved.data).toMatchObject({ trade_status: "paid", alipay_trans_id: "2026112122001004", payment_inst: "ALIPAYHK", buyer_login_id: "852-****0654" });
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
