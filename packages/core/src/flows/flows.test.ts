import { describe, expect, it } from "vitest";
import { AlipayHkClient } from "../client";
import { scriptedGateway, type ScriptedReply } from "../testing/index";
import { payByBarcode } from "./barcode";
import { cancelOrder } from "./cancel";
import { createQrPayment } from "./qr";
import { derivePartnerRefundId, refundReturn } from "./refund";
import { toNeutralStatus } from "./status";
import { sweepOpenTrades } from "./sweep";

const PARTNER = "2088101122136241";
const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const clock = { now: () => new Date("2024-01-01T04:00:00Z") };
const noSleep = async () => {};

/** A scripted gateway keyed by service: each service plays its own list of replies in order. */
function gateway(script: Partial<Record<string, ScriptedReply[]>>) {
  const counters: Record<string, number> = {};
  const gw = scriptedGateway({ signType: "MD5", md5Key: MD5_KEY }, (params) => {
    const service = params.service!;
    const i = (counters[service] = (counters[service] ?? -1) + 1);
    const list = script[service];
    const reply = list?.[Math.min(i, list.length - 1)];
    if (!reply) throw new Error(`unexpected call to ${service}`);
    return reply;
  });
  const client = new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY, gateway: "http://127.0.0.1:1", transport: gw.transport, clock });
  const calls = () => gw.requests.map((r) => r.service!.replace("alipay.acquire.", "").replace("overseas.", ""));
  return { client, requests: gw.requests, calls };
}

const PAY = "alipay.acquire.overseas.spot.pay";
const QUERY = "alipay.acquire.overseas.query";
const CANCEL = "alipay.acquire.cancel";
const REFUND = "alipay.acquire.overseas.spot.refund";
const input = { partnerTransId: "pos-1", amount: 1230, buyerCode: "281234567890123456", transName: "Coffee" };
const recovery = { sleep: noSleep, pollIntervalMs: 5000, maxPollMs: 15000, cancelRetryMs: 10 };
const q = (status: string): ScriptedReply => ({
  response: { result_code: "SUCCESS", partner_trans_id: "pos-1", alipay_trans_status: status, trans_amount: "12.30" },
});

describe("payByBarcode", () => {
  it("paid on the first reply", async () => {
    const gw = gateway({ [PAY]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1", trans_amount: "12.30", payment_inst: "ALIPAYHK" } }] });
    const result = await payByBarcode(gw.client, input, recovery);
    expect(result).toMatchObject({ status: "paid", amount: 1230, paymentInst: "ALIPAYHK" });
    expect(gw.calls()).toEqual(["spot.pay"]);
  });

  it("a definite failure is reported with its code and nothing else is sent", async () => {
    const gw = gateway({ [PAY]: [{ response: { result_code: "FAILED", partner_trans_id: "pos-1", error: "BUYER_BALANCE_NOT_ENOUGH" } }] });
    expect(await payByBarcode(gw.client, input, recovery)).toMatchObject({ status: "failed", code: "BUYER_BALANCE_NOT_ENOUGH" });
    expect(gw.calls()).toEqual(["spot.pay"]);
  });

  it("unknown → query while WAIT_BUYER_PAY → paid, without a second charge", async () => {
    const gw = gateway({ [PAY]: [{ response: { result_code: "UNKNOW", partner_trans_id: "pos-1" } }], [QUERY]: [q("WAIT_BUYER_PAY"), q("TRADE_SUCCESS")] });
    expect(await payByBarcode(gw.client, input, recovery)).toMatchObject({ status: "paid", amount: 1230 });
    expect(gw.calls()).toEqual(["spot.pay", "query", "query"]);
  });

  it("unknown → still waiting at the deadline → cancel, reported as canceled (never failed)", async () => {
    const gw = gateway({
      [PAY]: [{ response: { result_code: "UNKNOW", partner_trans_id: "pos-1" } }],
      [QUERY]: [q("WAIT_BUYER_PAY")],
      [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", retry_flag: "N", action: "close" } }],
    });
    expect(await payByBarcode(gw.client, input, recovery)).toMatchObject({ status: "canceled", reversed: false });
    // 15 s of polling every 5 s: queries at 0, 5, 10, 15 s, then the cancel.
    expect(gw.calls()).toEqual(["spot.pay", "query", "query", "query", "query", "cancel"]);
  });

  it("cancel with retry_flag=Y is retried until it succeeds", async () => {
    const gw = gateway({
      [PAY]: [{ fault: "timeout" }],
      [QUERY]: [{ fault: "network" }],
      [CANCEL]: [
        { response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "Y", error: "SYSTEM_ERROR" } },
        { response: { result_code: "UNKNOWN", out_trade_no: "pos-1", retry_flag: "Y" } },
        { response: { result_code: "SUCCESS", out_trade_no: "pos-1", retry_flag: "N", action: "refund" } },
      ],
    });
    const result = await payByBarcode(gw.client, input, { ...recovery, maxPollMs: 0 });
    expect(result).toMatchObject({ status: "canceled", reversed: true });
    expect(gw.calls()).toEqual(["spot.pay", "query", "cancel", "cancel", "cancel"]);
  });

  it("timeout then the query finds it paid", async () => {
    const gw = gateway({ [PAY]: [{ fault: "timeout" }], [QUERY]: [q("TRADE_SUCCESS")] });
    expect(await payByBarcode(gw.client, input, recovery)).toMatchObject({ status: "paid" });
    expect(gw.requests.filter((r) => r.service === PAY)).toHaveLength(1);
  });

  it("stays unresolved (not failed, not paid) when cancel keeps failing open", async () => {
    const gw = gateway({ [PAY]: [{ fault: "timeout" }], [QUERY]: [{ fault: "timeout" }], [CANCEL]: [{ fault: "timeout" }] });
    const result = await payByBarcode(gw.client, input, { ...recovery, maxPollMs: 0, cancelAttempts: 3 });
    expect(result.status).toBe("unresolved");
    expect(gw.calls()).toEqual(["spot.pay", "query", "cancel", "cancel", "cancel"]);
  });

  it("a bad reply signature on pay is treated as unknown and resolved by query", async () => {
    const gw = gateway({ [PAY]: [{ fault: "badSignature" }], [QUERY]: [q("TRADE_SUCCESS")] });
    expect(await payByBarcode(gw.client, input, recovery)).toMatchObject({ status: "paid" });
  });

  it("refuses a malformed buyer code before calling the gateway", async () => {
    const gw = gateway({});
    await expect(payByBarcode(gw.client, { ...input, buyerCode: "12345" }, recovery)).rejects.toThrowError(/^buyerCode: expected/);
    expect(gw.requests).toHaveLength(0);
  });
});

describe("refundReturn", () => {
  it("derives a stable partner_refund_id and retries an unknown outcome with the same id", async () => {
    const gw = gateway({
      [REFUND]: [
        { fault: "timeout" },
        { response: { result_code: "UNKNOW", partner_trans_id: "pos-1" } },
        { response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } },
      ],
    });
    const result = await refundReturn(gw.client, { partnerTransId: "pos-1", platformRefundId: "re_01", amount: 500 }, { sleep: noSleep });
    expect(result).toMatchObject({ status: "succeeded", attempts: 3 });
    const ids = gw.requests.map((r) => r.partner_refund_id);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(derivePartnerRefundId("pos-1", "re_01"));
    expect(gw.requests[0]).toMatchObject({ refund_amount: "5.00", is_sync: "Y", currency: "HKD" });
  });
  it("reports a definite failure with its code", async () => {
    const gw = gateway({ [REFUND]: [{ response: { result_code: "FAILED", error: "REFUND_AMT_RESTRICTION" } }] });
    expect(await refundReturn(gw.client, { partnerTransId: "pos-1", platformRefundId: "re_02", amount: 99999 })).toMatchObject({
      status: "failed",
      code: "REFUND_AMT_RESTRICTION",
    });
  });
  it("stays pending after the retries run out", async () => {
    const gw = gateway({ [REFUND]: [{ fault: "network" }] });
    expect((await refundReturn(gw.client, { partnerTransId: "pos-1", platformRefundId: "re_03", amount: 100 }, { sleep: noSleep, attempts: 2 })).status).toBe(
      "pending",
    );
  });
  it("ids differ per trade and per refund, and never equal the trade id", () => {
    const a = derivePartnerRefundId("t1", "r1");
    expect(a).not.toBe(derivePartnerRefundId("t2", "r1"));
    expect(a).not.toBe(derivePartnerRefundId("t1", "r2"));
    expect(a.length).toBeLessThanOrEqual(64);
    expect(derivePartnerRefundId("x".repeat(64), "y".repeat(200)).length).toBeLessThanOrEqual(64);
  });
});

describe("cancelOrder", () => {
  it("closes an unpaid trade", async () => {
    const gw = gateway({ [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", retry_flag: "N", action: "close" } }] });
    expect(await cancelOrder(gw.client, { partnerTransId: "pos-1" })).toEqual({
      status: "closed",
      partnerTransId: "pos-1",
      events: [{ type: "trade.closed", partnerTransId: "pos-1", source: "cancel", reversed: false, cause: "canceled" }],
    });
  });
  it("after the GMT+8 day falls back to a refund when configured", async () => {
    const gw = gateway({
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "TRADE_STATUS_ERROR" } }],
      [QUERY]: [q("TRADE_SUCCESS")],
      [REFUND]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }],
    });
    const result = await cancelOrder(
      gw.client,
      { partnerTransId: "pos-1", refundFallback: { amount: 1230, platformRefundId: "cancel-order-1" } },
      { sleep: noSleep },
    );
    expect(result).toMatchObject({ status: "refunded", cancelCode: "TRADE_STATUS_ERROR", refund: { status: "succeeded", amount: 1230 } });
    expect(result.events).toEqual([
      expect.objectContaining({
        type: "refund.succeeded",
        platformRefundId: "cancel-order-1",
        amount: 1230,
        source: "cancel",
        cancelCode: "TRADE_STATUS_ERROR",
      }),
    ]);
    expect(gw.calls()).toEqual(["cancel", "query", "spot.refund"]);
  });
  it("after the day without a fallback reports the code", async () => {
    const gw = gateway({
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "TRADE_STATUS_ERROR" } }],
      [QUERY]: [q("TRADE_SUCCESS")],
    });
    expect(await cancelOrder(gw.client, { partnerTransId: "pos-1" })).toMatchObject({ status: "failed", code: "TRADE_STATUS_ERROR", events: [] });
  });
  it("decides by state, not by code: any definite refusal on a paid trade falls back to the refund", async () => {
    const gw = gateway({
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "SOME_CODE_NOBODY_DOCUMENTED" } }],
      [QUERY]: [q("TRADE_SUCCESS")],
      [REFUND]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }],
    });
    const result = await cancelOrder(gw.client, { partnerTransId: "pos-1", refundFallback: { amount: 500, platformRefundId: "c-1" } }, { sleep: noSleep });
    expect(result).toMatchObject({ status: "refunded", cancelCode: "SOME_CODE_NOBODY_DOCUMENTED" });
    expect(gw.requests.at(-1)).toMatchObject({ refund_amount: "5.00" });
  });
  it("a refused cancel on a trade the query shows closed is closed; on an unanswered query it stays unresolved", async () => {
    const closedGw = gateway({
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "X" } }],
      [QUERY]: [q("TRADE_CLOSED")],
    });
    expect(await cancelOrder(closedGw.client, { partnerTransId: "pos-1", refundFallback: { amount: 1, platformRefundId: "c" } })).toMatchObject({
      status: "closed",
    });
    const openGw = gateway({
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "X" } }],
      [QUERY]: [{ fault: "http500" }],
    });
    expect(await cancelOrder(openGw.client, { partnerTransId: "pos-1", refundFallback: { amount: 1, platformRefundId: "c" } })).toMatchObject({
      status: "unresolved",
      cancelCode: "X",
    });
    expect(openGw.calls()).not.toContain("spot.refund");
  });
});

describe("createQrPayment and status", () => {
  it("precreates with an expiry and returns the QR", async () => {
    const gw = gateway({
      "alipay.acquire.precreate": [{ response: { result_code: "SUCCESS", out_trade_no: "web-1", qr_code: "https://qr.alipay.com/bax9" } }],
    });
    const qr = await createQrPayment(gw.client, { partnerTransId: "web-1", amount: 100, subject: "Order 1", expiresInMinutes: 10 });
    expect(qr).toMatchObject({ qrCode: "https://qr.alipay.com/bax9", expiresAt: new Date("2024-01-01T04:10:00Z") });
    expect(gw.requests[0]).toMatchObject({ it_b_pay: "10m", total_fee: "1.00" });
  });
  it("maps every Alipay status to one neutral status", () => {
    expect(toNeutralStatus("WAIT_BUYER_PAY")).toBe("pending");
    expect(toNeutralStatus("TRADE_SUCCESS")).toBe("paid");
    expect(toNeutralStatus("TRADE_FINISHED")).toBe("paid");
    expect(toNeutralStatus("TRADE_CLOSED")).toBe("closed");
    expect(toNeutralStatus("WHATEVER")).toBe("unknown");
  });
});

describe("sweepOpenTrades", () => {
  it("marks paid, closes expired, leaves fresh ones open, and retries open refunds", async () => {
    const gw = gateway({
      [QUERY]: [q("TRADE_SUCCESS"), q("WAIT_BUYER_PAY"), q("WAIT_BUYER_PAY")],
      [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", retry_flag: "N", action: "close" } }],
      [REFUND]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }],
    });
    const decisions = await sweepOpenTrades(
      gw.client,
      {
        trades: [
          { partnerTransId: "pos-1", kind: "qr", amount: 1230 },
          { partnerTransId: "pos-1", kind: "qr", amount: 1230, expiresAt: new Date("2024-01-01T03:00:00Z") },
          { partnerTransId: "pos-1", kind: "qr", amount: 1230, expiresAt: new Date("2024-01-01T05:00:00Z") },
        ],
        refunds: [{ partnerTransId: "pos-1", platformRefundId: "r1", amount: 100 }],
      },
      { sleep: noSleep },
    );
    expect(decisions.map((d) => d.type)).toEqual(["trade.paid", "trade.closed", "trade.open", "refund.succeeded"]);
  });

  it("says queryFailed only when the gateway could not be asked, not when the trade is merely unpaid", async () => {
    const unreachable = gateway({ [QUERY]: [{ fault: "timeout" }] });
    const [failed] = await sweepOpenTrades(unreachable.client, { trades: [{ partnerTransId: "pos-1", kind: "qr", amount: 1230 }] }, { sleep: noSleep });
    expect(failed).toMatchObject({ type: "trade.open", queryFailed: true });
    const waiting = gateway({ [QUERY]: [q("WAIT_BUYER_PAY")] });
    const [open] = await sweepOpenTrades(waiting.client, { trades: [{ partnerTransId: "pos-1", kind: "qr", amount: 1230 }] }, { sleep: noSleep });
    expect(open).toMatchObject({ type: "trade.open" });
    expect(open).not.toHaveProperty("queryFailed");
  });
});

describe("trade events from the flows", () => {
  it("a paid barcode reply becomes trade.paid with the asked amount; another amount becomes trade.mismatch", async () => {
    const paid = gateway({
      [PAY]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1", trans_amount: "12.30", currency: "HKD", alipay_trans_id: "A1" } }],
    });
    expect((await payByBarcode(paid.client, input, recovery)).events).toEqual([
      expect.objectContaining({ type: "trade.paid", partnerTransId: "pos-1", amount: 1230, currency: "HKD", alipayTransId: "A1", source: "barcode" }),
    ]);
    const other = gateway({ [PAY]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1", trans_amount: "0.01" } }] });
    expect((await payByBarcode(other.client, input, recovery)).events).toEqual([
      expect.objectContaining({ type: "trade.mismatch", expectedAmount: 1230, reportedAmount: 1 }),
    ]);
    const missing = gateway({ [PAY]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }] });
    expect((await payByBarcode(missing.client, input, recovery)).events[0]!.type).toBe("trade.mismatch");
  });

  it("a declined charge is trade.failed; an unresolved one trade.open", async () => {
    const declined = gateway({ [PAY]: [{ response: { result_code: "FAILED", partner_trans_id: "pos-1", error: "BUYER_BALANCE_NOT_ENOUGH" } }] });
    expect((await payByBarcode(declined.client, input, recovery)).events).toEqual([
      { type: "trade.failed", partnerTransId: "pos-1", source: "barcode", code: "BUYER_BALANCE_NOT_ENOUGH" },
    ]);
    const open = gateway({ [PAY]: [{ fault: "timeout" }], [QUERY]: [{ fault: "timeout" }], [CANCEL]: [{ fault: "timeout" }] });
    const result = await payByBarcode(open.client, input, { ...recovery, cancelAttempts: 2 });
    expect(result.events).toEqual([expect.objectContaining({ type: "trade.open", partnerTransId: "pos-1" })]);
  });

  it("cancelling an id the gateway did not know (no trade_no) puts it on the late-charge watch", async () => {
    const gw = gateway({
      [PAY]: [{ fault: "timeout" }],
      [QUERY]: [{ response: { result_code: "FAILED", error: "TRADE_NOT_EXIST" } }],
      [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", retry_flag: "N" } }],
    });
    const result = await payByBarcode(gw.client, input, { ...recovery, maxPollMs: 0, lateChargeMarginMs: 60_000 });
    expect(result).toMatchObject({ status: "canceled", reversed: false });
    const until = new Date(clock.now().getTime() + gw.client.timeoutMs + 60_000);
    expect(result.events).toEqual([
      { type: "trade.closed", partnerTransId: "pos-1", source: "barcode", reversed: false, cause: "outcome_unknown", watchUntil: until },
    ]);
  });

  it("a cancel that names the trade (trade_no) needs no watch", async () => {
    const gw = gateway({
      [PAY]: [{ fault: "timeout" }],
      [QUERY]: [q("WAIT_BUYER_PAY")],
      [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", trade_no: "A9", retry_flag: "N", action: "close" } }],
    });
    const result = await payByBarcode(gw.client, input, { ...recovery, maxPollMs: 0 });
    expect(result.events[0]).not.toHaveProperty("watchUntil");
  });
});

describe("refunds: identical resends, open codes", () => {
  it("CONTEXT_INCONSISTENT proves the id exists: pending, never failed", async () => {
    const gw = gateway({ [REFUND]: [{ response: { result_code: "FAILED", partner_trans_id: "pos-1", error: "CONTEXT_INCONSISTENT" } }] });
    const result = await refundReturn(
      gw.client,
      { partnerTransId: "pos-1", platformRefundId: "r1", amount: 100, reason: "damaged" },
      { sleep: noSleep, attempts: 2 },
    );
    expect(result).toMatchObject({ status: "pending", reason: "CONTEXT_INCONSISTENT" });
    expect(result.events).toEqual([expect.objectContaining({ type: "refund.pending", platformRefundId: "r1", amount: 100 })]);
  });

  it("the sweep resends the stored reason, so every send of one id carries the same content", async () => {
    const gw = gateway({ [REFUND]: [{ fault: "timeout" }, { response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }] });
    await refundReturn(gw.client, { partnerTransId: "pos-1", platformRefundId: "r1", amount: 100, reason: "damaged" }, { sleep: noSleep, attempts: 1 });
    const events = await sweepOpenTrades(
      gw.client,
      { refunds: [{ partnerTransId: "pos-1", platformRefundId: "r1", amount: 100, reason: "damaged" }] },
      { sleep: noSleep },
    );
    expect(events).toEqual([expect.objectContaining({ type: "refund.succeeded", source: "sweep" })]);
    const content = gw.requests.map(({ sign: _s, ...rest }) => rest);
    expect(content[0]).toEqual(content[1]);
    expect(content[0]).toMatchObject({ refund_reson: "damaged" });
  });

  it("text that could re-split the signed string is refused before anything is sent", async () => {
    const gw = gateway({});
    await expect(refundReturn(gw.client, { partnerTransId: "pos-1", platformRefundId: "r1", amount: 100, reason: "a&total_fee=1" })).rejects.toThrow(
      /^reason: must not contain "&" or "="/,
    );
    await expect(createQrPayment(gw.client, { partnerTransId: "web-1", amount: 100, subject: "x&out_trade_no=V" })).rejects.toThrow(/^subject: /);
    await expect(payByBarcode(gw.client, { ...input, transName: "a=b" }, recovery)).rejects.toThrow(/^transName: /);
    expect(gw.requests).toHaveLength(0);
  });
});

describe("sweep: late-charge watch", () => {
  it("a charge found on a watched id is given back at once (cancelled on its day)", async () => {
    const gw = gateway({
      [QUERY]: [q("TRADE_SUCCESS")],
      [CANCEL]: [{ response: { result_code: "SUCCESS", out_trade_no: "pos-1", trade_no: "A1", retry_flag: "N", action: "refund" } }],
    });
    const events = await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T05:00:00Z") }] }, { sleep: noSleep });
    expect(events).toEqual([
      expect.objectContaining({ type: "late_charge.found", partnerTransId: "pos-1", amount: 1230, resolution: "reversed", source: "watch" }),
    ]);
  });

  it("past its day the late charge is refunded in full under a fixed id", async () => {
    const gw = gateway({
      [QUERY]: [q("TRADE_SUCCESS"), q("TRADE_SUCCESS")],
      [CANCEL]: [{ response: { result_code: "FAIL", out_trade_no: "pos-1", retry_flag: "N", error: "TRADE_STATUS_ERROR" } }],
      [REFUND]: [{ response: { result_code: "SUCCESS", partner_trans_id: "pos-1" } }],
    });
    const events = await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T05:00:00Z") }] }, { sleep: noSleep });
    expect(events).toEqual([expect.objectContaining({ type: "late_charge.found", resolution: "refunded" })]);
    expect(gw.requests.at(-1)).toMatchObject({ refund_amount: "12.30", partner_refund_id: derivePartnerRefundId("pos-1", "~late-pos-1") });
  });

  it("nothing found: the watch goes on until its end, then ends", async () => {
    const gw = gateway({ [QUERY]: [{ response: { result_code: "FAILED", error: "TRADE_NOT_EXIST" } }] });
    expect(await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T05:00:00Z") }] })).toEqual([]);
    expect(await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T03:00:00Z") }] })).toEqual([
      { type: "watch.ended", partnerTransId: "pos-1", source: "watch" },
    ]);
  });

  it("a watched id found closed after a payment is a late charge that was already reversed", async () => {
    const gw = gateway({
      [QUERY]: [
        {
          response: {
            result_code: "SUCCESS",
            partner_trans_id: "pos-1",
            alipay_trans_status: "TRADE_CLOSED",
            trans_amount: "12.30",
            alipay_pay_time: "20240101120000",
            alipay_trans_id: "A7",
          },
        },
      ],
    });
    const events = await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T05:00:00Z") }] });
    expect(events).toEqual([expect.objectContaining({ type: "late_charge.found", resolution: "reversed", amount: 1230, alipayTransId: "A7" })]);
    expect(gw.calls()).toEqual(["query"]);
  });

  it("an unanswered query never ends a watch", async () => {
    const gw = gateway({ [QUERY]: [{ fault: "network" }] });
    expect(await sweepOpenTrades(gw.client, { watches: [{ partnerTransId: "pos-1", until: new Date("2024-01-01T03:00:00Z") }] })).toEqual([]);
  });
});
