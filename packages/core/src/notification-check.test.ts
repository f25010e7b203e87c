import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { AlipayHkClient } from "./client";
import { encodeForm } from "./form";
import { derivePartnerRefundId } from "./flows/refund";
import { checkNotification, type ExpectedRefund, type ExpectedTrade } from "./notification-check";
import { verifyParams } from "./signing/params";
import { buildSignedNotification, scriptedGateway, type ScriptedReply } from "./testing/index";
import { signParams } from "./signing/params";

const PARTNER = "2088101122136241";
const OTHER_PARTNER = "2088999988887777";
const MD5_KEY = "0123456789abcdefghijklmnopqrstuv";
const clock = { now: () => new Date("2024-01-01T04:00:00Z") };

function setup(queryReply?: ScriptedReply, refundReply?: ScriptedReply) {
  const gw = scriptedGateway({ signType: "MD5", md5Key: MD5_KEY }, (params) => {
    if (params.service === "alipay.acquire.overseas.query" && queryReply) return queryReply;
    if (params.service === "alipay.acquire.overseas.spot.refund" && refundReply) return refundReply;
    throw new Error(`unexpected call to ${params.service}`);
  });
  const client = new AlipayHkClient({ partner: PARTNER, signType: "MD5", md5Key: MD5_KEY, gateway: "http://127.0.0.1:1", transport: gw.transport, clock });
  return { client, requests: gw.requests };
}

const trades: Record<string, ExpectedTrade> = { "web-1": { amount: 500000 }, "web-2": { amount: 1 } };
const refunds: Record<string, ExpectedRefund> = {
  [derivePartnerRefundId("web-1", "ret-1")]: { partnerTransId: "web-1", platformRefundId: "ret-1", amount: 1000, reason: "damaged" },
};
const lookups = { findTrade: (id: string) => trades[id], findRefund: (id: string) => refunds[id] };

const paidFields = (extra: Record<string, string> = {}) => ({
  notify_id: "n1",
  notify_type: "trade_status_sync",
  notify_time: "2024-01-01 12:00:00",
  out_trade_no: "web-1",
  trade_no: "2024010122001",
  trade_status: "TRADE_SUCCESS",
  total_fee: "5000.00",
  currency: "HKD",
  seller_id: PARTNER,
  ...extra,
});
const sign = (fields: Record<string, string>) => buildSignedNotification(fields, { signType: "MD5", md5Key: MD5_KEY });
const querySays = (status: string, amount = "5000.00", id = "web-1"): ScriptedReply => ({
  response: {
    result_code: "SUCCESS",
    partner_trans_id: id,
    alipay_trans_status: status,
    trans_amount: amount,
    currency: "HKD",
    alipay_trans_id: "2024010122001",
  },
});

describe("checkNotification: accepted only when every check holds", () => {
  it("a genuine paid notification, confirmed by query, becomes trade.paid with the store's amount", async () => {
    const { client, requests } = setup(querySays("TRADE_SUCCESS"));
    const check = await checkNotification(client, sign(paidFields()), lookups);
    expect(check).toMatchObject({
      accepted: true,
      events: [{ type: "trade.paid", partnerTransId: "web-1", amount: 500000, currency: "HKD", source: "notification" }],
    });
    expect(requests.map((r) => r.service)).toEqual(["alipay.acquire.overseas.query"]);
  });

  it("a genuine close, confirmed by query, becomes trade.closed", async () => {
    const { client } = setup(querySays("TRADE_CLOSED"));
    const check = await checkNotification(client, sign(paidFields({ trade_status: "TRADE_CLOSED" })), lookups);
    expect(check).toMatchObject({ accepted: true, events: [{ type: "trade.closed", cause: "closed_at_alipay" }] });
  });

  it("WAIT_BUYER_PAY changes nothing and needs no query", async () => {
    const { client, requests } = setup();
    const check = await checkNotification(client, sign(paidFields({ trade_status: "WAIT_BUYER_PAY" })), lookups);
    expect(check).toMatchObject({ accepted: true, events: [{ type: "trade.open" }] });
    expect(requests).toHaveLength(0);
  });

  it("a refund notification is confirmed by resending the stored request unchanged", async () => {
    const { client, requests } = setup(undefined, { response: { result_code: "SUCCESS", partner_trans_id: "web-1" } });
    const partnerRefundId = derivePartnerRefundId("web-1", "ret-1");
    const body = sign({
      notify_id: "n2",
      notify_type: "trade_status_sync",
      partner_trans_id: "web-1",
      partner_refund_id: partnerRefundId,
      refund_amount: "10.00",
      currency: "HKD",
      refund_status: "REFUND_SUCCESS",
    });
    const check = await checkNotification(client, body, lookups);
    expect(check).toMatchObject({ accepted: true, events: [{ type: "refund.succeeded", platformRefundId: "ret-1", amount: 1000, source: "notification" }] });
    expect(requests[0]).toMatchObject({ partner_refund_id: partnerRefundId, refund_amount: "10.00", refund_reson: "damaged" });
  });
});

describe("checkNotification: refused, with nothing to apply", () => {
  const refusedWith = async (body: string | Buffer, refusal: string, query?: ScriptedReply) => {
    const { client, requests } = setup(query);
    const check = await checkNotification(client, body, lookups);
    expect(check).toMatchObject({ accepted: false, refusal });
    expect("events" in check).toBe(false);
    return requests;
  };

  it("forged: a wrong signature", async () => {
    const body = buildSignedNotification(paidFields(), { signType: "MD5", md5Key: "ffffffffffffffffffffffffffffffff" });
    expect(await refusedWith(body, "bad_signature")).toHaveLength(0);
  });

  it("tampered: the amount changed after signing", async () => {
    await refusedWith(sign(paidFields()).replace("total_fee=5000.00", "total_fee=5000.01"), "bad_signature");
  });

  it("cross-partner: genuinely signed (Alipay signs every partner with one key) but for another seller_id", async () => {
    await refusedWith(sign(paidFields({ seller_id: OTHER_PARTNER })), "partner_mismatch");
    await refusedWith(sign(paidFields({ partner: OTHER_PARTNER })), "partner_mismatch");
    const { seller_id: _dropped, ...noSeller } = paidFields();
    await refusedWith(sign(noSeller), "partner_mismatch");
  });

  it("re-split: a signed subject that re-splits into other fields under the same signature", async () => {
    // The genuine notification of a HKD 0.01 order whose description smuggles fields in.
    const genuine = paidFields({ out_trade_no: "web-2", total_fee: "0.01", subject: "x&out_trade_no=web-1&total_fee=5000.00&trade_status=TRADE_SUCCESS&zz=" });
    const signed = signParams(genuine, "MD5", { md5Key: MD5_KEY });
    // The forgery: other fields, the same canonical string, so the same signature verifies.
    const forged = {
      currency: "HKD",
      notify_id: `n1&notify_time=2024-01-01 12:00:00&notify_type=trade_status_sync&out_trade_no=web-2&seller_id=${PARTNER}&subject=x`,
      out_trade_no: "web-1",
      total_fee: "5000.00",
      trade_status: "TRADE_SUCCESS",
      zz: `&total_fee=0.01&trade_no=2024010122001&trade_status=TRADE_SUCCESS`,
      sign: signed.sign,
      sign_type: "MD5",
    };
    expect(verifyParams(forged, { md5Key: MD5_KEY }).ok).toBe(true); // the attack is real
    await refusedWith(encodeForm(forged), "unexpected_field");
    const { zz: _z, ...withoutZz } = forged;
    await refusedWith(encodeForm({ ...withoutZz, trade_no: "&total_fee=0.01" }), "ambiguous_value");
    await refusedWith(encodeForm(signed), "ambiguous_value"); // the genuine one is ambiguous too
  });

  it("missing, unreadable or different amount; other or missing currency", async () => {
    const { total_fee: _t, ...noFee } = paidFields();
    await refusedWith(sign(noFee), "missing_amount");
    await refusedWith(sign(paidFields({ total_fee: "five" })), "missing_amount");
    await refusedWith(sign(paidFields({ total_fee: "0.01" })), "amount_mismatch");
    await refusedWith(sign(paidFields({ currency: "USD" })), "currency_mismatch");
    const { currency: _c, ...noCurrency } = paidFields();
    await refusedWith(sign(noCurrency), "currency_mismatch");
  });

  it("a trade this store did not create", async () => {
    await refusedWith(sign(paidFields({ out_trade_no: "someone-else" })), "unknown_trade");
  });

  it("TRADE_CLOSED replayed for a trade Alipay shows open: not confirmed", async () => {
    await refusedWith(sign(paidFields({ trade_status: "TRADE_CLOSED" })), "not_confirmed", querySays("WAIT_BUYER_PAY"));
  });

  it("paid replayed for a trade Alipay shows unpaid: not confirmed; a failed query is retryable", async () => {
    await refusedWith(sign(paidFields()), "not_confirmed", querySays("WAIT_BUYER_PAY"));
    const { client } = setup({ fault: "timeout" });
    expect(await checkNotification(client, sign(paidFields()), lookups)).toMatchObject({ accepted: false, refusal: "confirm_failed", retryable: true });
  });

  it("the query reports another amount: refused", async () => {
    await refusedWith(sign(paidFields()), "amount_mismatch", querySays("TRADE_SUCCESS", "0.01"));
  });

  it("repeated or unknown fields; names that are not plain", async () => {
    await refusedWith(`${sign(paidFields())}&total_fee=0.01`, "repeated_field");
    await refusedWith(`${sign(paidFields())}&hello=1`, "unexpected_field");
    await refusedWith(`${sign(paidFields())}&to%26tal=1`, "malformed");
  });

  it("an unknown charset named by the notification; the Content-Type is never consulted", async () => {
    await refusedWith(`${sign(paidFields())}&_input_charset=KLINGON`, "bad_charset");
  });

  it("a refund notification for a refund this store never sent, or of another amount", async () => {
    const base = { notify_id: "n2", notify_type: "trade_status_sync", partner_trans_id: "web-1", currency: "HKD", refund_status: "REFUND_SUCCESS" };
    await refusedWith(sign({ ...base, partner_refund_id: "R-unknown", refund_amount: "10.00" }), "unknown_refund");
    await refusedWith(sign({ ...base, partner_refund_id: derivePartnerRefundId("web-1", "ret-1"), refund_amount: "99.00" }), "amount_mismatch");
  });

  it("garbage bodies never throw", async () => {
    const { client } = setup();
    for (const body of ["", "&&&", "=", "%zz=1", "sign", Buffer.from([0xff, 0xfe, 0x00])]) {
      const check = await checkNotification(client, body, lookups);
      expect(check.accepted).toBe(false);
    }
  });
});

describe("checkNotification: charset from the notification or the trade", () => {
  it("a GBK-created trade's notification verifies over its GBK bytes", async () => {
    const fields = paidFields({ subject: "咖啡", _input_charset: "GBK" });
    const signed = signParams(fields, "MD5", { md5Key: MD5_KEY });
    const body = Object.entries(signed)
      .map(
        ([k, v]) =>
          `${k}=${Array.from(iconv.encode(v, "GBK"))
            .map((b) => `%${b.toString(16).padStart(2, "0")}`)
            .join("")}`,
      )
      .join("&");
    const { client } = setup(querySays("TRADE_SUCCESS"));
    expect(await checkNotification(client, body, lookups)).toMatchObject({ accepted: true, notification: { fields: { subject: "咖啡" } } });
  });
});
