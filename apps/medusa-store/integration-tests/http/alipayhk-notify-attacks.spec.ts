import { medusaIntegrationTestRunner } from "@medusajs/test-utils";
import { Modules } from "@medusajs/framework/utils";
import type { IPaymentModuleService, MedusaContainer } from "@medusajs/framework/types";
import { encodeForm } from "@alipayhk/core";
import { buildSignedNotification } from "@alipayhk/core/testing";
import { startSandbox, type RunningSandbox } from "@alipayhk/sandbox";
import { seedAlipayHkStore, type SeededStore } from "../../src/scripts/seed-store";
import { eventually, freePort } from "./helpers";

jest.setTimeout(240_000);

const QR = "pp_alipayhk-qr_alipayhk";

// The notify route of the real app, attacked over HTTP. The gateway is the sandbox over HTTP (it
// answers the confirming queries); the store is configured against it through the environment.
let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.01 });
  const port = await freePort();
  process.env.PORT = String(port);
  process.env.ALIPAYHK_PARTNER = sandbox.partner;
  process.env.ALIPAYHK_SIGN_TYPE = "MD5";
  process.env.ALIPAYHK_MD5_KEY = sandbox.md5Key;
  process.env.ALIPAYHK_GATEWAY = sandbox.gatewayUrl;
  process.env.ALIPAYHK_NOTIFY_URL = `http://127.0.0.1:${port}/hooks/alipayhk/alipayhk-qr_alipayhk`;
});
afterAll(async () => {
  await sandbox?.close();
});

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let store: SeededStore;
    let storefront: { headers: Record<string, string> };

    beforeAll(async () => {
      store = await seedAlipayHkStore(getContainer() as MedusaContainer);
      storefront = { headers: { "x-publishable-api-key": store.publishableKey } };
    });

    const paymentModule = () => (getContainer() as MedusaContainer).resolve(Modules.PAYMENT) as IPaymentModuleService;

    /** A cart of 2 x HKD 100 with an Alipay HK QR session: a trade of HKD 200.00 waiting at the sandbox. */
    async function openSession() {
      const { data: created } = await api.post(
        "/store/carts",
        {
          region_id: store.regionId,
          email: "shopper@alipayhk.test",
          items: [{ variant_id: store.variantId, quantity: 2 }],
          shipping_address: { first_name: "Chan", last_name: "Tai Man", address_1: "1 Nathan Road", city: "Hong Kong", country_code: "hk" },
        },
        storefront,
      );
      const cartId = created.cart.id as string;
      await api.post(`/store/carts/${cartId}/shipping-methods`, { option_id: store.shippingOptionId }, storefront);
      const { data: pc } = await api.post("/store/payment-collections", { cart_id: cartId }, storefront);
      const { data: withSession } = await api.post(
        `/store/payment-collections/${pc.payment_collection.id}/payment-sessions`,
        { provider_id: QR, data: {} },
        storefront,
      );
      return { cartId, sessionId: withSession.payment_collection.payment_sessions[0].id as string };
    }

    const post = (body: string) =>
      api.post("/hooks/alipayhk/alipayhk-qr_alipayhk", body, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        validateStatus: () => true,
      }) as Promise<{ status: number; data: unknown }>;

    /** A notification about `sessionId` as Alipay would send it, signed with `md5Key`. */
    const signed = (fields: Record<string, string>, md5Key = sandbox.md5Key, omit: string[] = []) => {
      const all: Record<string, string> = {
        notify_id: `n-${Math.random().toString(36).slice(2)}`,
        notify_type: "trade_status_sync",
        notify_time: "2026-11-21 10:00:00",
        trade_status: "TRADE_SUCCESS",
        total_fee: "200.00",
        currency: "HKD",
        seller_id: sandbox.partner,
        ...fields,
      };
      for (const name of omit) delete all[name];
      return buildSignedNotification(all, { signType: "MD5", md5Key });
    };

    /** What must not change when a notification is refused. */
    async function snapshot(sessionId: string) {
      const [session] = await paymentModule().listPaymentSessions({ id: sessionId }, { select: ["id", "status", "data", "amount"] });
      const payments = await paymentModule().listPayments({ payment_session_id: sessionId }, { relations: ["captures"] });
      const trade = sandbox.trades().find((t) => t.out_trade_no === sessionId);
      return {
        status: session!.status,
        data: session!.data,
        payments: payments.length,
        captures: payments.flatMap((p) => p.captures ?? []).length,
        trade: trade?.status,
      };
    }

    it("refuses every forged, foreign or ambiguous notification; the open session, its payment and trade stay as they were", async () => {
      const { sessionId } = await openSession();
      const before = await snapshot(sessionId);
      expect(before).toMatchObject({ status: "pending", payments: 0, trade: "WAIT_BUYER_PAY" });

      const genuine = signed({ out_trade_no: sessionId });
      const tamperedFields = Object.fromEntries(new URLSearchParams(genuine));
      const attacks: Array<[string, string, string]> = [
        [
          "forged (no signature)",
          `out_trade_no=${sessionId}&trade_status=TRADE_SUCCESS&total_fee=200.00&currency=HKD&seller_id=${sandbox.partner}`,
          "bad_signature",
        ],
        ["forged (signed with another key)", signed({ out_trade_no: sessionId }, "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"), "bad_signature"],
        ["tampered (amount changed after signing)", encodeForm({ ...tamperedFields, total_fee: "0.01" }), "bad_signature"],
        ["tampered (trade id changed after signing)", encodeForm({ ...tamperedFields, out_trade_no: `${sessionId}.2` }), "bad_signature"],
        ["cross-partner (genuinely signed, another seller_id)", signed({ out_trade_no: sessionId, seller_id: "2088000000000002" }), "partner_mismatch"],
        ["cross-partner (genuinely signed, another partner)", signed({ out_trade_no: sessionId, partner: "2088000000000002" }), "partner_mismatch"],
        ["no seller_id", signed({ out_trade_no: sessionId }, sandbox.md5Key, ["seller_id"]), "partner_mismatch"],
        ["re-split subject (`&total_fee=` inside a signed value)", signed({ out_trade_no: sessionId, subject: "Tea&total_fee=0.01" }), "ambiguous_value"],
        ["repeated field", `${genuine}&total_fee=0.01`, "repeated_field"],
        ["missing amount", signed({ out_trade_no: sessionId }, sandbox.md5Key, ["total_fee"]), "missing_amount"],
        ["unreadable amount", signed({ out_trade_no: sessionId, total_fee: "two hundred" }), "missing_amount"],
        ["smaller amount", signed({ out_trade_no: sessionId, total_fee: "0.01" }), "amount_mismatch"],
        ["other currency", signed({ out_trade_no: sessionId, currency: "USD" }), "currency_mismatch"],
        ["unknown session", signed({ out_trade_no: "payses_01UNKNOWN" }), "unknown_trade"],
        ["not a session id", signed({ out_trade_no: "pos-0001" }), "unknown_trade"],
      ];
      for (const [name, body, refusal] of attacks) {
        const answer = await post(body);
        expect([name, answer.status, answer.data]).toEqual([name, 400, { code: refusal, error: expect.stringContaining("refused") }]);
      }
      expect(await snapshot(sessionId)).toEqual(before);
    });

    it("a genuine paid or closed claim that Alipay's query does not confirm is refused as retryable (503), and changes nothing", async () => {
      const { sessionId } = await openSession();
      const before = await snapshot(sessionId);
      // Replayed from elsewhere, or sent early: the trade is still waiting for the buyer.
      const replayedPaid = await post(signed({ out_trade_no: sessionId }));
      expect([replayedPaid.status, replayedPaid.data]).toEqual([503, expect.objectContaining({ code: "not_confirmed" })]);
      const replayedClosed = await post(signed({ out_trade_no: sessionId, trade_status: "TRADE_CLOSED" }));
      expect([replayedClosed.status, replayedClosed.data]).toEqual([503, expect.objectContaining({ code: "not_confirmed" })]);
      expect(await snapshot(sessionId)).toEqual(before);
      expect(sandbox.trades().find((t) => t.out_trade_no === sessionId)?.status).toBe("WAIT_BUYER_PAY");
    });

    it("the real notification places the order once; replaying it changes nothing", async () => {
      const { sessionId } = await openSession();
      sandbox.payTrade(sessionId);
      const delivered = await eventually("the payment notification answered `success`", () =>
        sandbox.notifications().find((n) => n.outTradeNo === sessionId && n.kind === "payment" && n.status === "delivered"),
      );
      const paid = await snapshot(sessionId);
      expect(paid).toMatchObject({ status: "authorized", payments: 1, captures: 1, trade: "TRADE_SUCCESS" });
      expect(paid.data).toMatchObject({ trade_status: "paid" });

      const replay = await post(encodeForm(delivered.fields));
      expect([replay.status, replay.data]).toEqual([200, "success"]);
      expect(await snapshot(sessionId)).toEqual(paid);

      // A genuine close replayed for the paid trade: the query shows it paid, so it is refused.
      const closed = await post(signed({ out_trade_no: sessionId, trade_status: "TRADE_CLOSED" }));
      expect([closed.status, closed.data]).toEqual([503, expect.objectContaining({ code: "not_confirmed" })]);
      expect(await snapshot(sessionId)).toEqual(paid);
    });
  },
});
