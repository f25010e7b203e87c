import { buildSignedNotification } from "@alipayhk/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, newSecret, sandboxTrades, startHarness, type Harness } from "./helpers";

/** What must not move when a request is refused: orders, Alipay trades, events. */
async function snapshot(h: Harness) {
  return {
    orders: (await h.api.get("/v1/orders?limit=200")).body.data,
    trades: (await sandboxTrades(h.sandbox)).length,
    events: (await h.api.get("/v1/events?limit=200")).body.data.length,
  };
}

const order = { order_id: "bad-1", amount: "12.30", mode: "qr" };

describe("bad input: 4xx with one clear JSON error line, and no state change", () => {
  let h: Harness;
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    h = await startHarness();
    await h.api.signed("POST", "/v1/orders", { order_id: "good-1", amount: "5.00", mode: "qr" });
    before = await snapshot(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const cases: Array<[string, (h: Harness) => Promise<{ status: number; body: any }>, number, string, RegExp]> = [
    [
      "bad signature",
      (h) => h.api.signed("POST", "/v1/orders", order, { signature: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }),
      401,
      "invalid_signature",
      /^webhook-signature: no signature matches/,
    ],
    [
      "signed with another secret",
      (h) => new (h.api.constructor as any)(h.url, newSecret()).signed("POST", "/v1/orders", order),
      401,
      "invalid_signature",
      /^webhook-signature:/,
    ],
    [
      "stale timestamp",
      (h) => h.api.signed("POST", "/v1/orders", order, { at: new Date(Date.now() - 10 * 60_000) }),
      401,
      "stale_timestamp",
      /^webhook-timestamp: expected within 5 minutes/,
    ],
    [
      "timestamp from the future",
      (h) => h.api.signed("POST", "/v1/orders", order, { at: new Date(Date.now() + 10 * 60_000) }),
      401,
      "stale_timestamp",
      /^webhook-timestamp:/,
    ],
    [
      "no authentication",
      async (h) => {
        const r = await fetch(`${h.url}/v1/orders`, { method: "POST", body: JSON.stringify(order) });
        return { status: r.status, body: await r.json() };
      },
      401,
      "unauthenticated",
      /^authorization: expected a Standard Webhooks signature/,
    ],
    ["wrong bearer token", (h) => h.api.bearer("POST", "/v1/orders", order, { token: "x".repeat(30) }), 401, "invalid_token", /^authorization:/],
    [
      "malformed JSON",
      (h) => h.api.signed("POST", "/v1/orders", undefined, { raw: '{"order_id": "bad-1", "amount": ' }),
      400,
      "invalid_json",
      /^body: expected a JSON object, got malformed JSON/,
    ],
    ["a JSON array", (h) => h.api.signed("POST", "/v1/orders", [order]), 400, "invalid_request", /^body: expected a JSON object/],
    [
      "negative amount",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, amount: "-12.30" }),
      400,
      "invalid_amount",
      /^amount: expected 0\.01 to 100000000\.00 HKD, got -12\.30$/,
    ],
    [
      "3-dp amount",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, amount: "12.345" }),
      400,
      "invalid_amount",
      /^amount: expected a decimal amount with at most 2 decimals/,
    ],
    [
      "float amount",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, amount: 12.3 }),
      400,
      "invalid_amount",
      /^amount: expected a decimal string like "12\.30"/,
    ],
    ["zero amount", (h) => h.api.signed("POST", "/v1/orders", { ...order, amount: "0.00" }), 400, "invalid_amount", /^amount: expected 0\.01 to/],
    ["missing amount", (h) => h.api.signed("POST", "/v1/orders", { order_id: "bad-1", mode: "qr" }), 400, "invalid_request", /^amount: required$/],
    ["other currency", (h) => h.api.signed("POST", "/v1/orders", { ...order, currency: "USD" }), 400, "invalid_request", /^currency: expected "HKD"/],
    [
      "unknown mode",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, mode: "card" }),
      400,
      "invalid_request",
      /^mode: expected "qr" or "barcode", got "card"$/,
    ],
    [
      "barcode without a buyer code",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, mode: "barcode" }),
      400,
      "invalid_request",
      /^buyer_code: required$/,
    ],
    [
      "malformed buyer code",
      (h) => h.api.signed("POST", "/v1/orders", { ...order, mode: "barcode", buyer_code: "12345" }),
      400,
      "invalid_request",
      /^buyer_code: expected the wallet's/,
    ],
    ["bad order id", (h) => h.api.signed("POST", "/v1/orders", { ...order, order_id: "a b" }), 400, "invalid_request", /^order_id: expected 1-48 characters/],
    ["unknown field", (h) => h.api.signed("POST", "/v1/orders", { ...order, amount_cents: 1230 }), 400, "invalid_request", /^amount_cents: unknown field/],
    [
      "negative refund",
      (h) => h.api.signed("POST", "/v1/returns", { order_id: "good-1", return_id: "r1", amount: "-1.00" }),
      400,
      "invalid_amount",
      /^amount:/,
    ],
    ["3-dp refund", (h) => h.api.signed("POST", "/v1/returns", { order_id: "good-1", return_id: "r1", amount: "1.001" }), 400, "invalid_amount", /^amount:/],
    [
      "refund of an unpaid order",
      (h) => h.api.signed("POST", "/v1/returns", { order_id: "good-1", return_id: "r1", amount: "1.00" }),
      409,
      "order_not_paid",
      /^order_id: order good-1 is pending, not paid/,
    ],
    [
      "refund of an unknown order",
      (h) => h.api.signed("POST", "/v1/returns", { order_id: "ghost", return_id: "r1", amount: "1.00" }),
      404,
      "order_not_found",
      /^order_id: no order "ghost"$/,
    ],
    ["unknown order", (h) => h.api.get("/v1/orders/ghost"), 404, "order_not_found", /^order_id: no order "ghost"$/],
    ["cancel of an unknown order", (h) => h.api.signed("POST", "/v1/orders/ghost/cancel"), 404, "order_not_found", /^order_id:/],
    [
      "same order id, other amount",
      (h) => h.api.signed("POST", "/v1/orders", { order_id: "good-1", amount: "6.00", mode: "qr" }),
      409,
      "order_conflict",
      /^amount: order good-1 already exists with amount "5\.00"$/,
    ],
    ["malformed path encoding", (h) => h.api.get("/v1/orders/%E0%A4%A"), 400, "invalid_request", /^path: malformed URL or percent-encoding/],
    ["unknown route", (h) => h.api.get("/v1/nothing"), 404, "route_not_found", /^path: no route GET \/v1\/nothing/],
    ["bad list limit", (h) => h.api.get("/v1/orders?limit=0"), 400, "invalid_request", /^limit: expected an integer from 1 to 200/],
  ];

  it.each(cases)("%s → %i %s", async (_name, send, status, code, message) => {
    const response = await send(h);
    expect(response.status).toBe(status);
    // The service kit's one error body: `error.{code,message}`, and the message again at the top.
    expect(Object.keys(response.body)).toEqual(["error", "message"]);
    expect(response.body.message).toBe(response.body.error.message);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toMatch(message);
    expect(response.body.error.message).not.toContain("\n");
  });

  it("left orders, Alipay trades and events as they were", async () => {
    expect(await snapshot(h)).toEqual(before);
  });

  it("a notification with a bad signature is refused (`fail`) and changes nothing", async () => {
    const body = buildSignedNotification(
      { notify_id: "forged-1", notify_type: "trade_status_sync", out_trade_no: "good-1", trade_status: "TRADE_SUCCESS", total_fee: "5.00" },
      { signType: "MD5", md5Key: "ffffffffffffffffffffffffffffffff" },
    );
    const response = await fetch(`${h.url}/alipay/notify`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("fail");
    expect((await h.api.get("/v1/orders/good-1")).body.status).toBe("pending");
    expect(await snapshot(h)).toEqual(before);
  });
});

describe("idempotency: the same webhook-id or Idempotency-Key replays the first response", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a signed request sent twice (same webhook-id, new signature time) is answered from the first", async () => {
    const first = await h.api.signed("POST", "/v1/orders", { order_id: "idem-1", amount: "7.00", mode: "qr" }, { id: "msg_idem_1" });
    const second = await h.api.signed(
      "POST",
      "/v1/orders",
      { order_id: "idem-1", amount: "7.00", mode: "qr" },
      { id: "msg_idem_1", at: new Date(Date.now() - 60_000) },
    );
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect((await sandboxTrades(h.sandbox)).filter((t) => t.out_trade_no === "idem-1")).toHaveLength(1);
  });

  it("a barcode charge retried with the same key is not charged again", async () => {
    const body = { order_id: "idem-2", amount: "3.00", mode: "barcode", buyer_code: "280000000000000001" };
    const first = await h.api.bearer("POST", "/v1/orders", body, { idempotencyKey: "pos-7-txn-1" });
    const second = await h.api.bearer("POST", "/v1/orders", body, { idempotencyKey: "pos-7-txn-1" });
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect((await sandboxTrades(h.sandbox)).filter((t) => t.out_trade_no.startsWith("idem-2"))).toHaveLength(1);
  });

  it("the same key with another body is refused", async () => {
    await h.api.bearer("POST", "/v1/orders", { order_id: "idem-3", amount: "1.00", mode: "qr" }, { idempotencyKey: "k-3" });
    const other = await h.api.bearer("POST", "/v1/orders", { order_id: "idem-4", amount: "1.00", mode: "qr" }, { idempotencyKey: "k-3" });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    expect((await h.api.get("/v1/orders/idem-4")).status).toBe(404);
  });

  it("a refused request does not use up its key: the corrected one goes through", async () => {
    const wrong = await h.api.bearer("POST", "/v1/orders", { order_id: "idem-5", amount: "1.001", mode: "qr" }, { idempotencyKey: "k-5" });
    expect(wrong.status).toBe(400);
    const wrongAgain = await h.api.bearer("POST", "/v1/orders", { order_id: "idem-5", amount: "1.001", mode: "qr" }, { idempotencyKey: "k-5" });
    expect(wrongAgain.status).toBe(400);
    const right = await h.api.bearer("POST", "/v1/orders", { order_id: "idem-5", amount: "1.00", mode: "qr" }, { idempotencyKey: "k-6" });
    expect(right.status).toBe(201);
  });

  it("the bearer token works for reads and writes", async () => {
    const list = await h.api.bearer("GET", "/v1/orders");
    expect(list.status).toBe(200);
    expect(API_TOKEN.length).toBeGreaterThanOrEqual(16);
  });
});
