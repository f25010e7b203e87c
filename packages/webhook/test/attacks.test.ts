/**
 * Attacks on Alipay's notify route. Every forged, tampered, replayed or ambiguous notification is
 * refused by core's checkNotification (on the raw bytes) and changes NOTHING: orders, refunds,
 * events, deliveries, stored notifications, watches — compared row for row before and after.
 */
import { buildSignedNotification } from "@alipayhk/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buyerPays, eventually, SANDBOX_DEFAULTS, sandboxTrades, startHarness, startSandbox, type Harness } from "./helpers";

const TABLES = ["orders", "refunds", "events", "deliveries", "notifications", "watches"] as const;

/** Every row of every table, plus the Alipay side's trades. */
async function snapshot(h: Harness) {
  const rows: Record<string, unknown[]> = {};
  for (const table of TABLES) rows[table] = await h.service.store.db.all(`SELECT * FROM ${table} ORDER BY 1`);
  return { rows, trades: await sandboxTrades(h.sandbox) };
}

/** Waits until every outbound delivery is done, so the snapshot does not move by itself. */
async function outboxIdle(h: Harness) {
  await eventually("outbox idle", async () => (await h.service.outbox.counts()).pending === 0);
}

async function notify(h: Harness, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${h.url}/alipay/notify`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
  });
  return { status: response.status, text: await response.text() };
}

async function refusals(h: Harness, result: string): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`alipayhk_webhook_alipay_notifications_total{result="${result}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

const OTHER_PARTNER = "2088000000000999";
const GMT8 = "2026-12-01 12:00:00";

describe("attacks on /alipay/notify: refused, state unchanged", () => {
  let h: Harness;
  let sign: (fields: Record<string, string>, key?: string) => string;
  /** A payment notification for the victim exactly as Alipay would sign it (before any change). */
  let paidFields: (overrides?: Record<string, string | undefined>) => Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    const key = h.sandbox.md5Key;
    sign = (fields, md5Key = key) => buildSignedNotification(fields, { signType: "MD5", md5Key });
    paidFields = (overrides = {}) => {
      const fields: Record<string, string | undefined> = {
        notify_time: GMT8,
        notify_type: "trade_status_sync",
        notify_id: `n-${Math.random().toString(36).slice(2)}`,
        out_trade_no: "vic-1",
        trade_no: "2026120122001400000000000001",
        trade_status: "TRADE_SUCCESS",
        subject: "Order vic-1",
        total_fee: "50.00",
        currency: "HKD",
        seller_id: h.sandbox.partner,
        gmt_payment: GMT8,
        ...overrides,
      };
      return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
    };
    // The victim: a pending QR order of 50.00. The attacker: a real order of 0.01.
    expect((await h.api.signed("POST", "/v1/orders", { order_id: "vic-1", amount: "50.00", mode: "qr" })).status).toBe(201);
    expect((await h.api.signed("POST", "/v1/orders", { order_id: "att-1", amount: "0.01", mode: "qr" })).status).toBe(201);
    // A paid order, for the replayed duplicate.
    expect((await h.api.signed("POST", "/v1/orders", { order_id: "dup-1", amount: "9.00", mode: "qr" })).status).toBe(201);
    await buyerPays(h.sandbox, "dup-1");
    await eventually("dup-1 paid", async () => (await h.api.get("/v1/orders/dup-1")).body.status === "paid");
    await outboxIdle(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const cases: Array<[string, (ctx: { sign: typeof sign; paidFields: typeof paidFields; h: Harness }) => string, number, string]> = [
    ["forged (signed with another key)", ({ sign, paidFields }) => sign(paidFields(), "0123456789abcdef0123456789abcdef"), 400, "bad_signature"],
    [
      "tampered (total_fee changed after signing)",
      ({ sign, paidFields }) => sign(paidFields({ total_fee: "0.01" })).replace("total_fee=0.01", "total_fee=50.00"),
      400,
      "bad_signature",
    ],
    [
      // Genuinely signed for ANOTHER partner under the same Alipay key, replayed with the victim's id and amount.
      "cross-partner (another partner's notification, victim's out_trade_no and amount)",
      ({ sign, paidFields }) => sign(paidFields({ seller_id: OTHER_PARTNER, partner: OTHER_PARTNER })),
      400,
      "partner_mismatch",
    ],
    ["other seller_id", ({ sign, paidFields }) => sign(paidFields({ seller_id: OTHER_PARTNER })), 400, "partner_mismatch"],
    ["no seller_id", ({ sign, paidFields }) => sign(paidFields({ seller_id: undefined })), 400, "partner_mismatch"],
    [
      "re-split (the attacker's subject carries the victim's fields)",
      ({ sign, paidFields }) =>
        sign(paidFields({ out_trade_no: "att-1", total_fee: "0.01", subject: "x&out_trade_no=vic-1&total_fee=5000.00&trade_status=TRADE_SUCCESS&zz=" })),
      400,
      "ambiguous_value",
    ],
    ["missing total_fee", ({ sign, paidFields }) => sign(paidFields({ total_fee: undefined })), 400, "missing_amount"],
    ["unreadable total_fee", ({ sign, paidFields }) => sign(paidFields({ total_fee: "fifty" })), 400, "missing_amount"],
    ["another amount", ({ sign, paidFields }) => sign(paidFields({ total_fee: "5000.00" })), 400, "amount_mismatch"],
    ["other currency", ({ sign, paidFields }) => sign(paidFields({ currency: "USD" })), 400, "currency_mismatch"],
    ["a trade this store never created", ({ sign, paidFields }) => sign(paidFields({ out_trade_no: "nobody-1" })), 400, "unknown_trade"],
    ["repeated field (total_fee twice)", ({ sign, paidFields }) => `${sign(paidFields())}&total_fee=0.01`, 400, "repeated_field"],
    ["unknown field", ({ sign, paidFields }) => sign(paidFields({ is_admin: "true" })), 400, "unexpected_field"],
    [
      // Genuine in every field, but Alipay's query shows the trade unpaid: not confirmed (Alipay would retry).
      "TRADE_SUCCESS for a trade the buyer has not paid",
      ({ sign, paidFields }) => sign(paidFields()),
      503,
      "not_confirmed",
    ],
  ];

  it.each(cases)("%s → %i %s, nothing changes", async (_name, build, status, refusal) => {
    const before = await snapshot(h);
    const counted = await refusals(h, refusal);
    const answer = await notify(h, build({ sign, paidFields, h }));
    expect(answer).toEqual({ status, text: "fail" });
    expect(await refusals(h, refusal)).toBe(counted + 1);
    expect(await snapshot(h)).toEqual(before);
    expect((await h.api.get("/v1/orders/vic-1")).body.status).toBe("pending");
  });

  it("a replayed duplicate of an applied notification is answered success and changes nothing", async () => {
    const [stored] = await h.service.store.db.all<{ fields: string }>("SELECT fields FROM notifications WHERE partner_trans_id = ?", ["dup-1"]);
    const { sign: _sign, sign_type: _type, ...fields } = JSON.parse(stored!.fields) as Record<string, string>;
    const before = await snapshot(h);
    // Alipay retries until it reads `success`: a duplicate must not be refused, only ignored.
    expect(await notify(h, sign(fields))).toEqual({ status: 200, text: "success" });
    expect(await snapshot(h)).toEqual(before);
  });

  it("the charset is the notification's (or the trade's), never the Content-Type header", async () => {
    expect((await h.api.signed("POST", "/v1/orders", { order_id: "cs-1", amount: "3.80", mode: "qr", description: "港式奶茶" })).status).toBe(201);
    await buyerPays(h.sandbox, "cs-1");
    await eventually("cs-1 paid", async () => (await h.api.get("/v1/orders/cs-1")).body.status === "paid");
    await outboxIdle(h);
    const [stored] = await h.service.store.db.all<{ fields: string }>("SELECT fields FROM notifications WHERE partner_trans_id = ?", ["cs-1"]);
    const { sign: _sign, sign_type: _type, ...fields } = JSON.parse(stored!.fields) as Record<string, string>;
    expect(fields.subject).toBe("港式奶茶");
    const before = await snapshot(h);
    // UTF-8 bytes announced as GBK: decoding by the header would change the subject and break the signature.
    const response = await fetch(`${h.url}/alipay/notify`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=GBK" },
      body: sign(fields),
    });
    expect([response.status, await response.text()]).toEqual([200, "success"]);
    expect(await snapshot(h)).toEqual(before);
  });

  it("TRADE_CLOSED replayed for an open order is refused by the confirming query; the buyer can still pay", async () => {
    const before = await snapshot(h);
    const closed = sign(paidFields({ trade_status: "TRADE_CLOSED", gmt_payment: undefined, gmt_close: GMT8 }));
    expect(await notify(h, closed)).toEqual({ status: 503, text: "fail" });
    expect(await snapshot(h)).toEqual(before);
    await buyerPays(h.sandbox, "vic-1");
    await eventually("vic-1 paid", async () => (await h.api.get("/v1/orders/vic-1")).body.status === "paid");
    expect((await h.api.get("/v1/orders/vic-1")).body).toMatchObject({ status: "paid", amount: "50.00" });
  });
});

describe("cross-partner, genuinely signed: the sandbox serves two partners under one Alipay RSA key", () => {
  const B = "2088000000000077";

  it("partner B's real, RSA2-signed notification for the victim's out_trade_no and amount is refused; nothing changes", async () => {
    const sandbox = await startSandbox({ ...SANDBOX_DEFAULTS, signType: "RSA2", partners: [{ partner: B, signType: "RSA2" }] });
    const h = await startHarness({
      sandboxInstance: sandbox,
      service: {
        alipay: {
          partner: sandbox.partner,
          signType: "RSA2",
          privateKey: sandbox.merchantPrivateKeyPem,
          alipayPublicKey: sandbox.alipayPublicKey,
          gateway: sandbox.gatewayUrl,
          timeoutMs: 5_000,
        },
      },
    });
    try {
      expect((await h.api.signed("POST", "/v1/orders", { order_id: "vic-rsa", amount: "12.30", mode: "qr" })).status).toBe(201);
      await outboxIdle(h);
      const before = (await snapshot(h)).rows;
      // Partner B opens and pays its own trade under the victim's id and amount, and Alipay (the one
      // RSA key) signs B's notification, which is sent to the victim's notify route.
      sandbox.openQrTrade({ partner: B, out_trade_no: "vic-rsa", total_fee: "12.30", notify_url: `${h.url}/alipay/notify` });
      sandbox.payTrade("vic-rsa", { partner: B });
      await eventually("B's notification refused", async () => (await refusals(h, "partner_mismatch")) >= 1);
      expect((await snapshot(h)).rows).toEqual(before);
      const order = await h.api.signed("GET", "/v1/orders/vic-rsa");
      expect(order.body).toMatchObject({ order_id: "vic-rsa", status: "pending" });
    } finally {
      await h.close();
      await sandbox.close();
    }
  });
});
