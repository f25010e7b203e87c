/**
 * The sandbox through core's AlipayHkClient and flows, with each sign type: QR payment with a
 * verified notification, barcode payments with each magic outcome, partial refunds, cancel, and
 * the faults as the client sees them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlipayGatewayError,
  AlipayHkClient,
  AlipayNetworkError,
  AlipayProtocolError,
  AlipaySignatureError,
  AlipayTimeoutError,
  cancelOrder,
  createQrPayment,
  getPaymentStatus,
  payByBarcode,
  refundReturn,
  type SignType,
} from "@alipayhk/core";
import { startSandbox, type RunningSandbox } from "../src/index";
import { startReceiver, uid, waitFor } from "./helpers";

function clientFor(sandbox: RunningSandbox, signType: SignType, timeoutMs?: number): AlipayHkClient {
  return new AlipayHkClient({
    partner: sandbox.partner,
    signType,
    md5Key: signType === "MD5" ? sandbox.md5Key : undefined,
    privateKey: signType === "MD5" ? undefined : sandbox.merchantPrivateKeyPem,
    alipayPublicKey: signType === "MD5" ? undefined : sandbox.alipayPublicKey,
    gateway: sandbox.gatewayUrl,
    timeoutMs,
    // The client's clock is the sandbox's, so GMT+8 day rules agree.
    clock: { now: () => sandbox.now() },
  });
}

describe.each<SignType>(["MD5", "RSA", "RSA2"])("through AlipayHkClient (%s)", (signType) => {
  let sandbox: RunningSandbox;
  let client: AlipayHkClient;
  // Recovery waits move the sandbox clock instead of sleeping.
  const recovery = () => ({ pollIntervalMs: 5_000, maxPollMs: 30_000, cancelRetryMs: 1_000, sleep: async (ms: number) => void sandbox.advanceClock(ms) });

  beforeAll(async () => {
    sandbox = await startSandbox({ signType, barcodeWaitMs: 10_000, notifyTimeScale: 0.001, startTime: "2024-02-01T11:00:00+08:00" });
    client = clientFor(sandbox, signType);
  });
  afterAll(() => sandbox.close());

  it("QR payment: createQrPayment → buyer pays → verified notification → notify_verify → paid", async () => {
    const merchant = await startReceiver();
    try {
      const id = uid("QR");
      const qr = await createQrPayment(client, { partnerTransId: id, amount: 4250, subject: "Order #1001", notifyUrl: merchant.url, passback: "cart-9" });
      expect(qr.qrCode).toMatch(/^https:\/\/qr\.alipay\.com\/bax/);
      expect((await getPaymentStatus(client, id)).status).toBe("pending");
      expect((await fetch(`${sandbox.url}/sandbox/trades/${id}/pay`, { method: "POST", body: JSON.stringify({ wallet: "ALIPAYCN" }) })).status).toBe(200);
      const received = await waitFor(() => merchant.received[0], "the notification");
      const notification = client.verifyNotification(received.raw);
      expect(notification).toMatchObject({ outTradeNo: id, tradeStatus: "TRADE_SUCCESS", totalFee: 4250, paymentInst: "ALIPAYCN", passback: "cart-9" });
      expect(await client.notifyVerify(notification.notifyId)).toBe(true);
      const status = await getPaymentStatus(client, id);
      expect(status.status).toBe("paid");
      expect(status.query?.paymentInst).toBe("ALIPAYCN");
    } finally {
      await merchant.close();
    }
  });

  it.each([
    ["280000000000000001", "paid", "ALIPAYHK"],
    ["280000000000000002", "paid", "ALIPAYCN"],
    ["280000000000000003", "failed", "BUYER_BALANCE_NOT_ENOUGH"],
    ["280000000000000004", "failed", "NOT_SUPPORT_PAYMENT_INST"],
    ["280000000000000005", "paid", "ALIPAYHK"],
    ["280000000000000006", "paid", "ALIPAYHK"],
    ["280000000000000007", "canceled", "not reversed"],
    ["280000000000000008", "paid", "ALIPAYHK"],
    ["280000000000000009", "canceled", "not reversed"],
    ["280000000000000010", "canceled", "not reversed"],
  ])("payByBarcode with buyer code %s → %s (%s)", async (code, expected, detail) => {
    const id = uid("BC");
    const result = await payByBarcode(client, { partnerTransId: id, amount: 1999, buyerCode: code, transName: "Coffee beans" }, recovery());
    expect(result.status).toBe(expected);
    if (result.status === "paid") expect(result.paymentInst).toBe(detail);
    if (result.status === "failed") expect(result.code).toBe(detail);
    if (result.status === "canceled") expect(result.reversed).toBe(false);
    // The ledger agrees: one trade, charged exactly when the flow says paid.
    const trade = sandbox.trades().find((t) => t.out_trade_no === id)!;
    expect(trade.status).toBe(expected === "paid" ? "TRADE_SUCCESS" : "TRADE_CLOSED");
    if (code === "280000000000000009")
      expect(result.steps.filter((s) => s.step === "cancel").map((s) => s.step === "cancel" && s.retry)).toEqual([true, false]);
  });

  it("two partial refunds, then one too many", async () => {
    const id = uid("RF");
    await payByBarcode(client, { partnerTransId: id, amount: 10000, buyerCode: "280000000000000001", transName: "Jacket" }, recovery());
    expect(await refundReturn(client, { partnerTransId: id, platformRefundId: "ret-1", amount: 2500 })).toMatchObject({ status: "succeeded" });
    expect(await refundReturn(client, { partnerTransId: id, platformRefundId: "ret-2", amount: 5000 })).toMatchObject({ status: "succeeded" });
    // The same platform refund again is not a new refund.
    expect(await refundReturn(client, { partnerTransId: id, platformRefundId: "ret-2", amount: 5000 })).toMatchObject({ status: "succeeded" });
    expect(await refundReturn(client, { partnerTransId: id, platformRefundId: "ret-3", amount: 2501 })).toMatchObject({
      status: "failed",
      code: "REFUND_AMT_RESTRICTION",
    });
    expect(sandbox.trades().find((t) => t.out_trade_no === id)!.refunded).toBe("75.00");
  });

  it("cancelOrder: closes an unpaid QR, reverses a paid charge the same day, refunds after midnight", async () => {
    const unpaid = uid("CU");
    await createQrPayment(client, { partnerTransId: unpaid, amount: 100, subject: "x" });
    expect(await cancelOrder(client, { partnerTransId: unpaid })).toMatchObject({ status: "closed" });

    const sameDay = uid("CS");
    await payByBarcode(client, { partnerTransId: sameDay, amount: 300, buyerCode: "280000000000000001", transName: "x" }, recovery());
    expect(await cancelOrder(client, { partnerTransId: sameDay })).toMatchObject({ status: "reversed" });

    const nextDay = uid("CN");
    await payByBarcode(client, { partnerTransId: nextDay, amount: 500, buyerCode: "280000000000000001", transName: "x" }, recovery());
    sandbox.advanceClock("1d");
    const late = await cancelOrder(
      client,
      { partnerTransId: nextDay, refundFallback: { amount: 500, platformRefundId: "cancel-1" } },
      { sleep: async () => {} },
    );
    expect(late).toMatchObject({ status: "refunded" });
    expect(sandbox.trades().find((t) => t.out_trade_no === nextDay)!.status).toBe("TRADE_CLOSED");
  });
});

describe("faults as the client sees them", () => {
  let sandbox: RunningSandbox;
  let client: AlipayHkClient;
  beforeAll(async () => {
    sandbox = await startSandbox();
    client = clientFor(sandbox, "MD5", 2_000);
  });
  afterAll(() => sandbox.close());
  const query = () => client.query({ partnerTransId: "anything" });

  it("wrong signature → AlipaySignatureError", async () => {
    sandbox.addFault({ wrongSignature: true, once: true });
    await expect(query()).rejects.toBeInstanceOf(AlipaySignatureError);
  });
  it("malformed XML → AlipayProtocolError", async () => {
    sandbox.addFault({ malformedXml: true, once: true });
    await expect(query()).rejects.toBeInstanceOf(AlipayProtocolError);
  });
  it("HTTP 502 and a dropped reply → AlipayNetworkError", async () => {
    sandbox.addFault({ httpStatus: 502, once: true });
    await expect(query()).rejects.toBeInstanceOf(AlipayNetworkError);
    sandbox.addFault({ dropReplyAfterCommit: true, once: true });
    await expect(query()).rejects.toBeInstanceOf(AlipayNetworkError);
  });
  it("latency beyond the client's timeout → AlipayTimeoutError", async () => {
    const impatient = clientFor(sandbox, "MD5", 100);
    sandbox.addFault({ latencyMs: 1_000, once: true });
    await expect(impatient.query({ partnerTransId: "x" })).rejects.toBeInstanceOf(AlipayTimeoutError);
  });
  it("a bad key → AlipayGatewayError ILLEGAL_SIGN", async () => {
    const wrong = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: "abcdefghijklmnopqrstuvwxyz012345", gateway: sandbox.gatewayUrl });
    await expect(wrong.query({ partnerTransId: "x" })).rejects.toMatchObject({ constructor: AlipayGatewayError, code: "ILLEGAL_SIGN" });
  });
});

describe("secondary-merchant data through the flows", () => {
  let sandbox: RunningSandbox;
  let client: AlipayHkClient;
  beforeAll(async () => {
    sandbox = await startSandbox();
    client = clientFor(sandbox, "MD5");
  });
  afterAll(() => sandbox.close());
  const lotte = {
    secondary_merchant_name: "Lotte",
    secondary_merchant_id: "123",
    secondary_merchant_industry: "5812",
    store_id: "A101",
    store_name: "Causeway Bay",
  };

  it("a barcode charge sends extend_info and a QR trade extend_params, as documented; the sandbox keeps them", async () => {
    const pay = await payByBarcode(client, {
      partnerTransId: uid("sm"),
      amount: 1000,
      buyerCode: "281234567890123456",
      transName: "Coffee",
      secondaryMerchant: lotte,
    });
    expect(pay.status).toBe("paid");
    const qr = await createQrPayment(client, { partnerTransId: uid("smq"), amount: 500, subject: "Order", secondaryMerchant: lotte });
    expect(JSON.parse(qr.precreate.reply.request.extend_params!)).toEqual(lotte);
    const trades = sandbox.trades();
    expect(trades.find((t) => t.out_trade_no === pay.partnerTransId)).toBeTruthy();
  });

  it("the sandbox refuses what the client would: a non-MCC industry (sent raw) is ILLEGAL_ARGUMENT", async () => {
    await expect(
      client.spotPay({
        partnerTransId: uid("smx"),
        amount: 100,
        buyerIdentityCode: "281234567890123456",
        transName: "x",
        extendInfo: JSON.stringify({ ...lotte, secondary_merchant_industry: "food" }),
      }),
    ).rejects.toMatchObject({ constructor: AlipayGatewayError, code: "ILLEGAL_ARGUMENT" });
    await expect(
      payByBarcode(client, {
        partnerTransId: uid("smy"),
        amount: 100,
        buyerCode: "281234567890123456",
        transName: "x",
        secondaryMerchant: { ...lotte, secondary_merchant_industry: "food" },
      }),
    ).rejects.toThrow(/^extendInfo\.secondary_merchant_industry: expected a 4-digit MCC/);
  });
});
