/**
 * QR payments end to end with notifications: the §3.2 payload, signed; retries along the ladder
 * until the body is exactly `success`; notify_verify; expiry and decline; the notification faults.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyParams, type SignType } from "@alipayhk/core";
import { startSandbox, type NotificationRecord, type RunningSandbox } from "../src/index";
import { admin, callGateway, sendGateway, startReceiver, uid, verifyKeyFor, waitFor } from "./helpers";

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const receivers: Receiver[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const precreate = (sandbox: RunningSandbox, id: string, extra: Record<string, string> = {}, signType: SignType = "MD5") =>
  callGateway(
    sandbox,
    {
      service: "alipay.acquire.precreate",
      out_trade_no: id,
      subject: "測試商品",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "0.10",
      currency: "HKD",
      trans_currency: "HKD",
      timestamp: String(Date.now()),
      ...extra,
    },
    { signType },
  );

const attemptsOf = (sandbox: RunningSandbox, id: string, kind = "payment") =>
  sandbox.notifications().filter((n: NotificationRecord) => n.outTradeNo === id && n.kind === kind);

describe("payment notification", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ notifyTimeScale: 0.0001 });
  });
  afterAll(() => sandbox.close());

  it.each<SignType>(["MD5", "RSA", "RSA2"])("posts the signed §3.2 form once the buyer pays (%s)", async (signType) => {
    const signed = signType === "MD5" ? sandbox : await startSandbox({ signType });
    try {
      const merchant = await receiver();
      const id = uid("N");
      await precreate(signed, id, { notify_url: merchant.url, passback_parameters: "order=42" }, signType);
      signed.payTrade(id, { wallet: "ALIPAYHK" });
      const n = await waitFor(() => merchant.received[0], "the notification");
      expect(n.contentType).toBe("application/x-www-form-urlencoded; charset=UTF-8");
      expect(verifyParams(n.fields, verifyKeyFor(signed, signType)).ok).toBe(true);
      expect(n.fields).toMatchObject({
        notify_type: "trade_status_sync",
        notify_action_type: "payByAccountAction",
        out_trade_no: id,
        trade_status: "TRADE_SUCCESS",
        subject: "測試商品",
        total_fee: "0.10",
        currency: "HKD",
        trans_currency: "HKD",
        seller_id: signed.partner,
        buyer_id: "2088042172056571",
        buyer_email: "852-****0654",
        payment_inst: "ALIPAYHK",
        extra_common_param: "order=42",
        sign_type: signType,
      });
      expect(n.fields.trade_no).toMatch(/^\d{28}$/);
      expect(n.fields.notify_id).toMatch(/^[0-9a-f]{34}$/);
      for (const field of ["notify_time", "gmt_create", "gmt_payment"]) expect(n.fields[field]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      await waitFor(() => attemptsOf(signed, id)[0]?.status === "delivered", "delivery to be recorded");
      // notify_verify: true for the id it sent (signed request, and the legacy unsigned GET).
      const verify = await sendGateway(signed, { service: "notify_verify", notify_id: n.fields.notify_id }, { signType, method: "GET" });
      expect(verify.body.toString()).toBe("true");
      const legacy = await fetch(`${signed.gatewayUrl}?service=notify_verify&partner=${signed.partner}&notify_id=${n.fields.notify_id}`);
      expect(await legacy.text()).toBe("true");
    } finally {
      if (signed !== sandbox) await signed.close();
    }
  });

  it("notifies in the merchant's charset (GBK), signed over the GBK bytes", async () => {
    const merchant = await receiver();
    const id = uid("G");
    await callGateway(
      sandbox,
      {
        service: "alipay.acquire.precreate",
        out_trade_no: id,
        subject: "測試商品",
        product_code: "OVERSEAS_MBARCODE_PAY",
        total_fee: "1.00",
        currency: "HKD",
        notify_url: merchant.url,
      },
      { charset: "GBK" },
    );
    sandbox.payTrade(id);
    const n = await waitFor(() => merchant.received[0], "the notification");
    expect(n.contentType).toBe("application/x-www-form-urlencoded; charset=GBK");
    expect(n.fields.subject).toBe("測試商品");
    expect(verifyParams(n.fields, verifyKeyFor(sandbox, "MD5"), { charset: "GBK" }).ok).toBe(true);
  });

  it("retries anything but exactly `success` along the ladder, then stops", async () => {
    const answers = [
      { status: 500, body: "success" },
      { status: 200, body: "success\n" },
      { status: 200, body: "SUCCESS" },
      { status: 200, body: "<html>ok</html>" },
      { status: 200, body: "success" },
    ];
    const merchant = await receiver((_n, i) => answers[i] ?? { body: "success" });
    const id = uid("R");
    await precreate(sandbox, id, { notify_url: merchant.url });
    sandbox.payTrade(id);
    const record = await waitFor(() => attemptsOf(sandbox, id).find((r) => r.status === "delivered"), "delivery after four refusals");
    expect(record.attempts.map((a) => a.ok)).toEqual([false, false, false, false, true]);
    expect(record.attempts.map((a) => a.httpStatus)).toEqual([500, 200, 200, 200, 200]);
    // The same notify_id and signature every time.
    expect(new Set(merchant.received.map((n) => n.fields.notify_id)).size).toBe(1);
    expect(new Set(merchant.received.map((n) => n.fields.sign)).size).toBe(1);
  });

  it("gives up after the last step of the ladder (8 attempts in all, ~25 h of sandbox time)", async () => {
    const fast = await startSandbox({ notifyTimeScale: 0.000002 });
    try {
      const merchant = await receiver(() => ({ status: 503, body: "busy" }));
      const id = uid("X");
      await precreate(fast, id, { notify_url: merchant.url });
      fast.payTrade(id);
      const record = await waitFor(() => attemptsOf(fast, id).find((r) => r.status === "failed"), "the ladder to run out");
      expect(record.attempts).toHaveLength(8);
      expect(record.nextAttemptAt).toBeUndefined();
      expect(merchant.received).toHaveLength(8);
    } finally {
      await fast.close();
    }
  });

  it("a custom schedule (notifySchedule) replaces the ladder", async () => {
    const custom = await startSandbox({ notifySchedule: ["1s"], notifyTimeScale: 0.01 });
    try {
      const merchant = await receiver(() => ({ body: "no" }));
      const id = uid("S");
      await precreate(custom, id, { notify_url: merchant.url });
      custom.payTrade(id);
      const record = await waitFor(() => attemptsOf(custom, id).find((r) => r.status === "failed"), "two attempts");
      expect(record.attempts).toHaveLength(2);
    } finally {
      await custom.close();
    }
  });

  it("records unreachable endpoints as failed attempts", async () => {
    const closed = await receiver();
    await closed.close();
    const id = uid("U");
    await precreate(sandbox, id, { notify_url: closed.url });
    sandbox.payTrade(id);
    const record = await waitFor(() => attemptsOf(sandbox, id)[0]?.attempts[0], "the first attempt");
    expect(record.ok).toBe(false);
    expect(record.error).toBeTruthy();
  });
});

describe("ladder on the sandbox clock", () => {
  it("moving the clock runs the next retry; notify_verify expires after the window", async () => {
    const sandbox = await startSandbox({ notifyVerifyWindowMs: 60_000 });
    try {
      let refuse = true;
      const merchant = await receiver(() => (refuse ? { body: "fail" } : { body: "success" }));
      const id = uid("C");
      await precreate(sandbox, id, { notify_url: merchant.url });
      sandbox.payTrade(id);
      await waitFor(() => attemptsOf(sandbox, id)[0]?.attempts.length === 1, "the first attempt");
      const next = attemptsOf(sandbox, id)[0]!.nextAttemptAt!;
      expect(Date.parse(next) - Date.parse(attemptsOf(sandbox, id)[0]!.attempts[0]!.at)).toBe(120_000);
      refuse = false;
      await admin(sandbox, "POST", "/sandbox/clock", { advance: "2m" });
      await waitFor(() => attemptsOf(sandbox, id)[0]?.status === "delivered", "the retry after 2 minutes");
      const notifyId = merchant.received[1]!.fields.notify_id!;
      const verify = () => fetch(`${sandbox.gatewayUrl}?service=notify_verify&partner=${sandbox.partner}&notify_id=${notifyId}`).then((r) => r.text());
      expect(await verify()).toBe("true");
      sandbox.advanceClock("61s");
      expect(await verify()).toBe("false");
    } finally {
      await sandbox.close();
    }
  });
});

describe("expiry, decline and the close notification", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ notifyTimeScale: 0.0001 });
  });
  afterAll(() => sandbox.close());

  it("closes an unpaid QR trade at it_b_pay and tells the merchant (closeTradeAction)", async () => {
    const merchant = await receiver();
    const id = uid("E");
    await precreate(sandbox, id, { notify_url: merchant.url, it_b_pay: "5m" });
    sandbox.advanceClock("4m");
    expect(sandbox.trades().find((t) => t.out_trade_no === id)?.status).toBe("WAIT_BUYER_PAY");
    sandbox.advanceClock("2m");
    const q = await callGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: id });
    expect(q.reply.response.alipay_trans_status).toBe("TRADE_CLOSED");
    const n = await waitFor(() => merchant.received[0], "the close notification");
    expect(n.fields).toMatchObject({ notify_action_type: "closeTradeAction", trade_status: "TRADE_CLOSED", out_trade_no: id });
    expect((await admin(sandbox, "POST", `/sandbox/trades/${id}/pay`)).status).toBe(409);
  });

  it("it_b_pay=1c closes at 00:00 GMT+8", async () => {
    const local = await startSandbox({ startTime: "2024-03-01T22:00:00+08:00" });
    try {
      const id = uid("D");
      await precreate(local, id, { it_b_pay: "1c" });
      expect(local.trades()[0]!.expires_at).toBe("2024-03-01T16:00:00.000Z");
      local.advanceClock("1h");
      expect(local.trades()[0]!.status).toBe("WAIT_BUYER_PAY");
      local.advanceClock("61m");
      expect(local.trades()[0]!.status).toBe("TRADE_CLOSED");
    } finally {
      await local.close();
    }
  });

  it("the default expiry is 120 minutes", async () => {
    const id = uid("F");
    await precreate(sandbox, id);
    const trade = sandbox.trades().find((t) => t.out_trade_no === id)!;
    expect(Date.parse(trade.expires_at!) - Date.parse(trade.created_at)).toBe(120 * 60_000);
  });

  it("a declined QR is closed and notified", async () => {
    const merchant = await receiver();
    const id = uid("N");
    await precreate(sandbox, id, { notify_url: merchant.url });
    expect((await admin(sandbox, "POST", `/sandbox/trades/${id}/decline`)).status).toBe(200);
    const n = await waitFor(() => merchant.received[0], "the close notification");
    expect(n.fields.trade_status).toBe("TRADE_CLOSED");
  });
});

describe("notification faults", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ notifyTimeScale: 0.0001 });
  });
  afterAll(() => sandbox.close());

  it("duplicates: the same notification (same notify_id) again after it was acknowledged", async () => {
    const merchant = await receiver();
    const id = uid("DU");
    await admin(sandbox, "POST", "/sandbox/faults", { notifyDuplicate: 2, partnerTransId: id, once: true });
    await precreate(sandbox, id, { notify_url: merchant.url });
    sandbox.payTrade(id);
    await waitFor(() => merchant.received.length === 3 && merchant.received, "three deliveries");
    expect(new Set(merchant.received.map((n) => n.fields.notify_id)).size).toBe(1);
    expect(merchant.received.every((n) => n.fields.trade_status === "TRADE_SUCCESS")).toBe(true);
  });

  it("out of order: a stale WAIT_BUYER_PAY notification arrives after TRADE_SUCCESS", async () => {
    const merchant = await receiver();
    const id = uid("OO");
    await admin(sandbox, "POST", "/sandbox/faults", { notifyOutOfOrder: true, partnerTransId: id });
    await precreate(sandbox, id, { notify_url: merchant.url });
    sandbox.payTrade(id);
    await waitFor(() => merchant.received.length === 2 && merchant.received, "two deliveries");
    expect(merchant.received.map((n) => n.fields.trade_status)).toEqual(["TRADE_SUCCESS", "WAIT_BUYER_PAY"]);
    expect(verifyParams(merchant.received[1]!.fields, verifyKeyFor(sandbox, "MD5")).ok).toBe(true);
    // The stale one describes an earlier moment (its notify_time is the trade's creation time).
    expect(merchant.received[1]!.fields.notify_time! <= merchant.received[0]!.fields.notify_time!).toBe(true);
  });
});
