import { medusaIntegrationTestRunner } from "@medusajs/test-utils";
import { Modules } from "@medusajs/framework/utils";
import type { IPaymentModuleService, MedusaContainer } from "@medusajs/framework/types";
import { buildSignedNotification } from "@alipayhk/core/testing";
import { startSandbox, type RunningSandbox } from "@alipayhk/sandbox";
// What the plugin's scheduled job runs every minute (the job is this one call).
import { sweepAlipayHkSessions as sweepJob } from "@alipayhk/medusa/lib/sweep-open-sessions";
import { seedAlipayHkStore, type SeededStore } from "../../src/scripts/seed-store";
import { adminHeaders, eventually, freePort } from "./helpers";

jest.setTimeout(240_000);

const QR = "pp_alipayhk-qr_alipayhk";
const BARCODE = "pp_alipayhk-barcode_alipayhk";

// The real local gateway over HTTP; the store is configured against it through the environment
// (medusa-config.ts) before the runner boots the app, on a port known in advance so the notify URL
// can point at it.
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
    let admin: { headers: Record<string, string> };
    let storefront: { headers: Record<string, string> };

    beforeAll(async () => {
      const container = getContainer() as MedusaContainer;
      store = await seedAlipayHkStore(container);
      admin = await adminHeaders(api, container);
      storefront = { headers: { "x-publishable-api-key": store.publishableKey } };
    });

    const trade = (outTradeNo: string) => {
      const found = sandbox.trades().filter((t) => t.out_trade_no === outTradeNo);
      expect(found).toHaveLength(1);
      return found[0]!;
    };

    /** A shopper's cart, 2 x HKD 100, delivered in Hong Kong, with an Alipay HK payment session. */
    async function checkout(providerId: string, data: Record<string, unknown> = {}) {
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
        { provider_id: providerId, data },
        storefront,
      );
      const session = withSession.payment_collection.payment_sessions[0];
      return { cartId, session, paymentCollectionId: pc.payment_collection.id as string };
    }

    const completeCart = (cartId: string) => api.post(`/store/carts/${cartId}/complete`, {}, { ...storefront, validateStatus: () => true });

    async function orderOfCart(cartId: string): Promise<string | undefined> {
      const query = (getContainer() as MedusaContainer).resolve("query");
      const { data } = await query.graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: cartId } });
      return (data[0] as { order_id?: string } | undefined)?.order_id;
    }

    async function orderPayments(orderId: string) {
      const { data } = await api.get(`/admin/alipayhk/orders/${orderId}/payments`, admin);
      return data.payments as Array<Record<string, any>>;
    }

    it("boots with both providers; an unsigned notification is refused", async () => {
      const providers = await (getContainer().resolve(Modules.PAYMENT) as IPaymentModuleService).listPaymentProviders({});
      expect(providers.map((p) => p.id)).toEqual(expect.arrayContaining([QR, BARCODE]));
      const forged = await api.post("/hooks/alipayhk/alipayhk-qr_alipayhk", "out_trade_no=payses_1&trade_status=TRADE_SUCCESS", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        validateStatus: () => true,
      });
      expect(forged.status).toBe(400);
      expect(forged.data).toMatchObject({ code: "bad_signature" });
      const unknown = await api.post("/hooks/alipayhk/stripe", "a=b", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        validateStatus: () => true,
      });
      expect(unknown.status).toBe(404);

      const signed = (fields: Record<string, string>) =>
        api.post(
          "/hooks/alipayhk/pp_alipayhk-qr_alipayhk",
          buildSignedNotification(
            { notify_id: "n-test", notify_type: "trade_status_sync", notify_time: "2026-11-21 10:00:00", ...fields },
            { signType: "MD5", md5Key: sandbox.md5Key },
          ),
          { headers: { "content-type": "application/x-www-form-urlencoded" }, validateStatus: () => true },
        );
      // Genuine, but about a trade this store never created: refused before anything is looked at
      // (the full attack suite is alipayhk-notify-attacks.spec.ts).
      const closedTrade = await signed({
        out_trade_no: "payses_01UNKNOWN",
        trade_status: "TRADE_CLOSED",
        total_fee: "10.00",
        currency: "HKD",
        seller_id: sandbox.partner,
      });
      expect([closedTrade.status, closedTrade.data]).toEqual([400, expect.objectContaining({ code: "unknown_trade" })]);
      const orphan = await signed({
        out_trade_no: "payses_01UNKNOWN",
        trade_status: "TRADE_SUCCESS",
        total_fee: "10.00",
        currency: "HKD",
        seller_id: sandbox.partner,
      });
      expect([orphan.status, orphan.data]).toEqual([400, expect.objectContaining({ code: "unknown_trade" })]);
    });

    it("QR checkout: the buyer pays, the notification places the order; two partial refunds and a cancel reach Alipay", async () => {
      const { cartId, session } = await checkout(QR);
      expect(session.status).toBe("pending");
      expect(session.data.qr_code).toBe(trade(session.id).qr_code);
      expect(session.data).not.toHaveProperty("qr_image");
      expect(trade(session.id)).toMatchObject({ total_fee: "200.00", status: "WAIT_BUYER_PAY" });

      // The storefront polls while the QR is shown; completing now must not place an order.
      const { data: polled } = await api.get(`/store/alipayhk/payment-sessions/${session.id}?qr_image=true`, storefront);
      expect(polled.payment_session).toMatchObject({
        id: session.id,
        trade_status: "pending",
        expires_at: session.data.expires_at,
        qr_code: session.data.qr_code,
      });
      expect(polled.payment_session.qr_image).toMatch(/^data:image\/svg\+xml;base64,/);
      const early = await completeCart(cartId);
      expect(early.data.type).not.toBe("order");
      expect(await orderOfCart(cartId)).toBeUndefined();

      // Alipay delivers every notification twice more after the first `success` (retries happen),
      // then a stale "still waiting" one arrives out of order.
      sandbox.addFault({ notifyDuplicate: 2, partnerTransId: session.id });
      sandbox.addFault({ notifyOutOfOrder: true, partnerTransId: session.id });
      // The buyer scans and pays, and closes the page: the notification alone must place the order.
      const paid = await fetch(`${sandbox.url}/sandbox/trades/${session.id}/pay`, { method: "POST" });
      expect(paid.status).toBe(200);

      const orderId = await eventually("the order placed by the notification", () => orderOfCart(cartId));
      const notifications = await eventually("the notifications answered `success`", () => {
        const mine = sandbox.notifications().filter((n) => n.outTradeNo === session.id && n.kind === "payment");
        return mine.length === 3 && mine.every((n) => n.status === "delivered") ? mine : undefined;
      });
      expect(
        notifications
          .flatMap((n) => n.attempts)
          .filter((a) => a.ok)
          .map((a) => a.body),
      ).toEqual(["success", "success", "success"]);
      const stale = await eventually("the stale notification answered", () =>
        sandbox.notifications().find((n) => n.outTradeNo === session.id && n.kind === "stale" && n.status === "delivered"),
      );
      expect(stale.fields.trade_status).toBe("WAIT_BUYER_PAY");

      const [payment] = await orderPayments(orderId);
      expect(payment).toMatchObject({ partner_trans_id: session.id, trade_status: "paid", wallet: "ALIPAYHK", alipay_trans_id: trade(session.id).trade_no });
      expect(payment!.captured_at).toBeTruthy();
      const { data: orders } = await api.get(`/admin/orders?fields=id,payment_status`, admin);
      expect(orders.orders).toEqual([expect.objectContaining({ id: orderId, payment_status: "captured" })]);

      // The shopper's tab comes back and completes the cart: the same order, nothing new.
      const late = await completeCart(cartId);
      expect(late.data).toMatchObject({ type: "order", order: { id: orderId } });
      const { data: polledPaid } = await api.get(`/store/alipayhk/payment-sessions/${session.id}`, storefront);
      expect(polledPaid.payment_session.trade_status).toBe("paid");

      // The shop owner refunds twice from the admin, then cancels the order: each reaches Alipay.
      await api.post(`/admin/payments/${payment!.id}/refund`, { amount: 50 }, admin);
      expect(trade(session.id).refunded).toBe("50.00");
      await api.post(`/admin/payments/${payment!.id}/refund`, { amount: 30 }, admin);
      expect(trade(session.id).refunded).toBe("80.00");
      await api.post(`/admin/orders/${orderId}/cancel`, {}, admin);
      expect(trade(session.id).refunded).toBe("200.00");
      expect(trade(session.id).refunds.map((r) => r.refund_amount)).toEqual(["50.00", "30.00", "120.00"]);

      const [afterCancel] = await orderPayments(orderId);
      expect(afterCancel!.refunds.map((r: { amount: string; status: string }) => [r.amount, r.status])).toEqual([
        ["50.00", "succeeded"],
        ["30.00", "succeeded"],
        ["120.00", "succeeded"],
      ]);
      const { data: canceled } = await api.get(`/admin/orders/${orderId}?fields=id,status`, admin);
      expect(canceled.order.status).toBe("canceled");
    });

    it("a refund whose reply is lost is recorded pending, then settled by the job with the same id: refunded once", async () => {
      const container = getContainer() as MedusaContainer;
      const { cartId, session } = await checkout(QR);
      sandbox.payTrade(session.id);
      const orderId = await eventually("the order placed by the notification", () => orderOfCart(cartId));
      const [payment] = await orderPayments(orderId);

      // Alipay executes the refund but every reply is lost: the outcome stays open.
      const fault = sandbox.addFault({ service: "alipay.acquire.overseas.spot.refund", dropReplyAfterCommit: true });
      await api.post(`/admin/payments/${payment!.id}/refund`, { amount: 25 }, admin);
      expect(fault.hits).toBeGreaterThan(1);
      const [open] = await orderPayments(orderId);
      expect(open!.refunds).toEqual([expect.objectContaining({ amount: "25.00", status: "pending" })]);

      sandbox.clearFaults();
      await sweepJob(container);
      const [settled] = await orderPayments(orderId);
      expect(settled!.refunds).toEqual([expect.objectContaining({ amount: "25.00", status: "succeeded" })]);
      expect(trade(session.id).refunded).toBe("25.00");
      expect(trade(session.id).refunds).toHaveLength(1);
    });

    it("barcode at the till: no reply while charged is resolved, charged once, and the order placed", async () => {
      const { cartId, session } = await checkout(BARCODE, { buyer_code: "280000000000000008" });
      const completed = await completeCart(cartId);
      expect(completed.data.type).toBe("order");
      const [payment] = await orderPayments(completed.data.order.id);
      expect(payment).toMatchObject({ method: "barcode", trade_status: "paid", wallet: "ALIPAYHK" });
      expect(payment!.captured_at).toBeTruthy();
      expect(trade(session.id)).toMatchObject({ status: "TRADE_SUCCESS", total_fee: "200.00" });
    });

    it("barcode at the till: a refused code places no order", async () => {
      const { cartId, session } = await checkout(BARCODE, { buyer_code: "280000000000000003" });
      // The Store API never hands the buyer's code back in clear.
      expect(session.data.buyer_code).toBe("2800**********0003");
      expect(JSON.stringify(session)).not.toContain("280000000000000003");
      const completed = await completeCart(cartId);
      expect(completed.status).toBe(400);
      expect(completed.data.message).toMatch(/was not authorized with the provider/);
      // What a storefront reads next to tell the buyer why.
      const { data: outcome } = await api.get(`/store/alipayhk/payment-sessions/${session.id}`, storefront);
      expect(outcome.payment_session).toMatchObject({ trade_status: "failed", failure_code: "BUYER_BALANCE_NOT_ENOUGH" });
      expect(await orderOfCart(cartId)).toBeUndefined();
      expect(trade(session.id)).toMatchObject({ status: "TRADE_CLOSED", failure: "BUYER_BALANCE_NOT_ENOUGH" });
    });

    it("the scheduled job closes an expired QR, and places the order of a paid one exactly once", async () => {
      const container = getContainer() as MedusaContainer;
      const payment = container.resolve(Modules.PAYMENT) as IPaymentModuleService;

      const expired = await checkout(QR);
      sandbox.advanceClock("2h");
      const racing = await checkout(QR);
      // The buyer pays while the job runs: the notification and the job race to place the order.
      sandbox.payTrade(racing.session.id);
      await Promise.all([sweepJob(container), sweepJob(container)]);

      const [closed] = await payment.listPaymentSessions({ id: expired.session.id });
      expect(closed!.status).toBe("canceled");
      expect(trade(expired.session.id).status).toBe("TRADE_CLOSED");

      const orderId = await eventually("the paid QR's order", () => orderOfCart(racing.cartId));
      await eventually("the notification answered", () =>
        sandbox.notifications().some((n) => n.outTradeNo === racing.session.id && n.status === "delivered") ? true : undefined,
      );
      await sweepJob(container);
      const { data: orders } = await api.get(`/admin/orders?fields=id`, admin);
      expect(orders.orders.map((o: { id: string }) => o.id)).toEqual([orderId]);
      expect(await payment.listPayments({ payment_session_id: racing.session.id })).toHaveLength(1);
    });
  },
});
