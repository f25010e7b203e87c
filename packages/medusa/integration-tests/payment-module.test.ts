import path from "node:path";
import { createRequire } from "node:module";
import { Modules } from "@medusajs/framework/utils";
import type { IPaymentModuleService, MedusaContainer, PaymentCollectionDTO } from "@medusajs/framework/types";
import { moduleIntegrationTestRunner } from "@medusajs/test-utils";
import { AlipayHkClient } from "@alipayhk/core";
import { startSandbox } from "@alipayhk/sandbox";
import { sweepAlipayHkSessions } from "../src/lib/sweep-open-sessions";
import alipayhk from "../src/providers/alipayhk";
import type { AlipayHkPaymentData } from "../src/providers/alipayhk/types";
import { MODULE_TEST_DB } from "./db";

const require = createRequire(import.meta.url);
// A filesystem path, so the runner finds the payment module's models and migrations.
const paymentModulePath = path.resolve(path.dirname(require.resolve("@medusajs/payment")), "..");

// A real local Alipay HK gateway over HTTP. Its clock runs 100x faster for the barcode "buyer
// confirms in the app" wait, so that takes 50 ms instead of 5 s.
const sandbox = await startSandbox({ timeScale: 0.01 });
afterAll(() => sandbox.close());

const QR = "pp_alipayhk-qr_alipayhk";
const BARCODE = "pp_alipayhk-barcode_alipayhk";

moduleIntegrationTestRunner<IPaymentModuleService>({
  moduleName: Modules.PAYMENT,
  resolve: paymentModulePath,
  dbName: MODULE_TEST_DB,
  moduleOptions: {
    providers: [
      {
        resolve: alipayhk,
        id: "alipayhk",
        options: {
          partner: sandbox.partner,
          signType: "MD5",
          md5Key: sandbox.md5Key,
          gateway: sandbox.gatewayUrl,
          timeoutMs: 3_000,
          barcodePollIntervalMs: 100,
          barcodeMaxPollMs: 1_500,
        },
      },
    ],
  },
  testSuite: ({ service }) => {
    const trade = (outTradeNo: string) => {
      const found = sandbox.trades().filter((t) => t.out_trade_no === outTradeNo);
      expect(found).toHaveLength(1);
      return found[0]!;
    };

    async function collection(amount: number): Promise<PaymentCollectionDTO> {
      const [created] = await service.createPaymentCollections([{ currency_code: "hkd", amount }]);
      return created!;
    }

    async function qrSession(amount = 100) {
      const pc = await collection(amount);
      return service.createPaymentSession(pc.id, { provider_id: QR, amount, currency_code: "hkd", data: {} });
    }

    async function paymentOf(sessionId: string) {
      const [payment] = await service.listPayments({ payment_session_id: sessionId }, { relations: ["captures", "refunds"] });
      return payment;
    }

    it("registers both Alipay HK providers", async () => {
      const providers = await service.listPaymentProviders();
      expect(providers.map((p) => p.id).sort()).toEqual([BARCODE, QR, "pp_system_default"]);
    });

    it("QR: pending until the buyer pays, then captured; partial refunds land at Alipay once each", async () => {
      const session = await qrSession(100);
      const data = session.data as AlipayHkPaymentData;
      expect(session.status).toBe("pending");
      expect(data).toMatchObject({ partner_trans_id: session.id, amount: "100.00", trade_status: "pending" });
      expect(data.qr_code).toBe(trade(session.id).qr_code);
      expect(data).not.toHaveProperty("qr_image"); // rendered on demand by the store route, never stored
      expect(trade(session.id)).toMatchObject({ product: "qr", total_fee: "100.00", status: "WAIT_BUYER_PAY" });

      // The storefront completes too early: Medusa must not place the order.
      await expect(service.authorizePaymentSession(session.id, {})).rejects.toThrow(/was not authorized with the provider/);
      expect((await service.retrievePaymentSession(session.id)).status).toBe("pending");

      sandbox.payTrade(session.id, { wallet: "ALIPAYCN" });
      const payment = (await service.authorizePaymentSession(session.id, {}))!;
      const paid = await paymentOf(session.id);
      expect(paid?.id).toBe(payment.id);
      expect(paid?.captured_at).toBeTruthy();
      expect(paid?.data).toMatchObject({ trade_status: "paid", payment_inst: "ALIPAYCN", alipay_trans_id: trade(session.id).trade_no });

      // Authorizing again (a repeated notification, a second completion) changes nothing.
      await service.authorizePaymentSession(session.id, {});
      expect(await service.listPayments({ payment_session_id: session.id })).toHaveLength(1);

      await service.refundPayment({ payment_id: payment.id, amount: 40 });
      await service.refundPayment({ payment_id: payment.id, amount: 20.5 });
      expect(trade(session.id).refunded).toBe("60.50");
      expect(trade(session.id).refunds.map((r) => r.refund_amount)).toEqual(["40.00", "20.50"]);
      await expect(service.refundPayment({ payment_id: payment.id, amount: 50 })).rejects.toThrow(/more than what is captured/);
      expect(trade(session.id).refunded).toBe("60.50");

      const refunded = await paymentOf(session.id);
      const records = (refunded!.data as AlipayHkPaymentData).refunds ?? [];
      expect(records.map((r) => [r.refund_id, r.amount, r.status])).toEqual(refunded!.refunds!.map((r) => [r.id, expect.any(String), "succeeded"]));
      expect(records.map((r) => r.partner_refund_id).sort()).toEqual(
        trade(session.id)
          .refunds.map((r) => r.partner_refund_id)
          .sort(),
      );
    });

    it("a refund's note is sent as its reason, made safe for the signed field, and stored with the refund", async () => {
      const session = await qrSession(60);
      sandbox.payTrade(session.id);
      const payment = (await service.authorizePaymentSession(session.id, {}))!;
      await service.refundPayment({ payment_id: payment.id, amount: 10, note: "Damaged & returned (size=M)" });
      const refunded = await paymentOf(session.id);
      expect((refunded!.data as AlipayHkPaymentData).refunds).toEqual([
        expect.objectContaining({ refund_id: refunded!.refunds![0]!.id, amount: "10.00", status: "succeeded", reason: "Damaged and returned (size-M)" }),
      ]);
      expect(trade(session.id).refunded).toBe("10.00");
    });

    it("QR: an expired trade does not stay pending; the re-check cancels the session", async () => {
      const session = await qrSession(30);
      sandbox.advanceClock("2h");
      const checked = await service.updatePaymentSession({ id: session.id, amount: 30, currency_code: "hkd", data: session.data! });
      expect(checked.status).toBe("canceled");
      expect((checked.data as AlipayHkPaymentData).trade_status).toBe("closed");
      expect(trade(session.id).status).toBe("TRADE_CLOSED");
    });

    it("QR: the re-check notices a payment whose notification never came", async () => {
      const session = await qrSession(12.3);
      sandbox.payTrade(session.id);
      const checked = await service.updatePaymentSession({ id: session.id, amount: 12.3, currency_code: "hkd", data: session.data! });
      expect(checked.status).toBe("authorized");
      expect(checked.data).toMatchObject({ trade_status: "paid", payment_inst: "ALIPAYHK" });
    });

    it("QR: a new amount closes the old trade and shows a new QR", async () => {
      const session = await qrSession(50);
      const updated = await service.updatePaymentSession({ id: session.id, amount: 55, currency_code: "hkd", data: session.data! });
      const data = updated.data as AlipayHkPaymentData;
      expect(data.partner_trans_id).toBe(`${session.id}.2`);
      expect(data.amount).toBe("55.00");
      expect(data.previous_trades).toEqual([{ partner_trans_id: session.id, amount: "50.00" }]);
      expect(data.qr_code).not.toBe((session.data as AlipayHkPaymentData).qr_code);
      expect(trade(session.id).status).toBe("TRADE_CLOSED");
      expect(trade(`${session.id}.2`)).toMatchObject({ total_fee: "55.00", status: "WAIT_BUYER_PAY" });
    });

    it("QR: deleting the session closes the trade so it can no longer be paid", async () => {
      const session = await qrSession(20);
      await service.deletePaymentSession(session.id);
      expect(trade(session.id).status).toBe("TRADE_CLOSED");
      expect(() => sandbox.payTrade(session.id)).toThrow();
    });

    it("cancelPayment reverses a paid trade on its day, and refunds what is left after it", async () => {
      const today = await qrSession(80);
      sandbox.payTrade(today.id);
      const todayPayment = (await service.authorizePaymentSession(today.id, {}))!;
      await service.cancelPayment(todayPayment.id);
      expect(trade(today.id)).toMatchObject({ status: "TRADE_CLOSED", close_reason: "reversed" });
      expect((await paymentOf(today.id))?.data).toMatchObject({ cancel_status: "reversed" });

      const earlier = await qrSession(80);
      sandbox.payTrade(earlier.id);
      const earlierPayment = (await service.authorizePaymentSession(earlier.id, {}))!;
      await service.refundPayment({ payment_id: earlierPayment.id, amount: 30 });
      sandbox.advanceClock("25h");
      await service.cancelPayment(earlierPayment.id);
      expect(trade(earlier.id).refunded).toBe("80.00");
      expect((await paymentOf(earlier.id))?.data).toMatchObject({ cancel_status: "refunded" });
    });

    describe("barcode: each outcome the buyer's wallet can produce", () => {
      async function charge(buyerCode: string, amount = 25) {
        const pc = await collection(amount);
        const session = await service.createPaymentSession(pc.id, {
          provider_id: BARCODE,
          amount,
          currency_code: "hkd",
          data: { buyer_code: buyerCode },
        });
        expect(sandbox.trades().some((t) => t.out_trade_no === session.id)).toBe(false);
        // The stored session (what the Store API hands the storefront) holds the code masked only.
        const stored = await service.retrievePaymentSession(session.id, { select: ["id", "data"] });
        expect(stored.data?.buyer_code).toBe(`${buyerCode.slice(0, 4)}${"*".repeat(buyerCode.length - 8)}${buyerCode.slice(-4)}`);
        expect(JSON.stringify(stored.data)).not.toContain(buyerCode);
        const result = await service.authorizePaymentSession(session.id, {}).then(
          (payment) => ({ payment, error: undefined }),
          (error: Error) => ({ payment: undefined, error }),
        );
        return { session: await service.retrievePaymentSession(session.id), ...result };
      }

      it.each([
        ["280000000000000001", "ALIPAYHK"],
        ["280000000000000002", "ALIPAYCN"],
        ["280000000000000005", "ALIPAYHK"], // USER_PAYING, the buyer confirms in the app
        ["280000000000000006", "ALIPAYHK"], // UNKNOW, but charged
        ["280000000000000008", "ALIPAYHK"], // no reply at all while charged
      ])("%s is charged once and captured (%s)", async (code, wallet) => {
        const { session, payment, error } = await charge(code);
        expect(error).toBeUndefined();
        expect(payment).toBeTruthy();
        expect(session.status).toBe("authorized");
        const captured = await paymentOf(session.id);
        expect(captured?.captured_at).toBeTruthy();
        expect(captured?.data).toMatchObject({ trade_status: "paid", payment_inst: wallet });
        expect(captured?.data).not.toHaveProperty("buyer_code");
        // Exactly one trade at Alipay, paid once.
        expect(trade(session.id)).toMatchObject({ status: "TRADE_SUCCESS", total_fee: "25.00", payment_inst: wallet });
      });

      it.each([
        ["280000000000000003", "error", "BUYER_BALANCE_NOT_ENOUGH"],
        ["280000000000000004", "error", "NOT_SUPPORT_PAYMENT_INST"],
      ])("%s is refused: the session is in error and nothing was charged", async (code, status, failure) => {
        const { session, payment, error } = await charge(code);
        expect(payment).toBeUndefined();
        expect(error?.message).toMatch(/was not authorized/);
        expect(session.status).toBe(status);
        expect(session.data).toMatchObject({ trade_status: "failed", failure_code: failure });
        expect(await service.listPayments({ payment_session_id: session.id })).toHaveLength(0);
        expect(trade(session.id).status).toBe("TRADE_CLOSED");
      });

      it.each([
        ["280000000000000007"], // UNKNOW, not charged: query finds it closed
        ["280000000000000009"], // UNKNOW, left waiting; the first cancel asks to retry
        ["280000000000000010"], // the buyer never confirms: cancelled after the polling window
      ])("%s has an open outcome that is resolved by query and cancel: canceled, nothing kept", async (code) => {
        const { session, payment } = await charge(code);
        expect(payment).toBeUndefined();
        expect(session.status).toBe("canceled");
        expect(session.data).toMatchObject({ trade_status: "closed" });
        expect(await service.listPayments({ payment_session_id: session.id })).toHaveLength(0);
        expect(trade(session.id).status).toBe("TRADE_CLOSED");
        expect(trade(session.id).paid_at).toBeUndefined();
      });

      it("a charge the gateway never saw is cancelled and its id watched: a late charge is given back, then the watch ends", async () => {
        const pc = await collection(25);
        const session = await service.createPaymentSession(pc.id, {
          provider_id: BARCODE,
          amount: 25,
          currency_code: "hkd",
          data: { buyer_code: "280000000000000001" },
        });
        // The charge request never reaches the gateway (503 before processing): the id is unknown
        // there, so the cancel closes nothing and a delayed copy of the request could still arrive.
        sandbox.addFault({ service: "alipay.acquire.overseas.spot.pay", partnerTransId: session.id, httpStatus: 503 });
        await expect(service.authorizePaymentSession(session.id, {})).rejects.toThrow(/was not authorized/);
        sandbox.clearFaults();
        const cancelled = await service.retrievePaymentSession(session.id);
        expect(cancelled.status).toBe("canceled");
        const watchUntil = (cancelled.data as AlipayHkPaymentData).watch_until;
        expect(cancelled.data).toMatchObject({ trade_status: "closed", cancel_status: "closed" });
        expect(Date.parse(String(watchUntil))).toBeGreaterThan(Date.now());
        expect(sandbox.trades().some((t) => t.out_trade_no === session.id)).toBe(false);

        // The delayed request arrives after all and charges the buyer under the cancelled id.
        const late = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl });
        await late.spotPay({ partnerTransId: session.id, amount: 2500, buyerIdentityCode: "280000000000000001", transName: "Order" });
        expect(trade(session.id).status).toBe("TRADE_SUCCESS");

        // The scheduled job's pass finds the watched session and re-checks it.
        const logger = { warn: () => undefined, error: () => undefined, info: () => undefined };
        const container = { resolve: (key: string) => (key === "logger" ? logger : service) } as unknown as MedusaContainer;
        const report = await sweepAlipayHkSessions(container);
        expect(report.watched).toContain(session.id);
        const watched = await service.retrievePaymentSession(session.id);
        expect(watched.status).toBe("canceled");
        // Given back: one id holds one charge, so the watch is over and the record stays.
        expect(watched.data).toMatchObject({ trade_status: "closed", watch_until: null, late_charge: { resolution: "reversed", amount: "25.00" } });
        expect(trade(session.id)).toMatchObject({ status: "TRADE_CLOSED", close_reason: "reversed" });
        expect(await service.listPayments({ payment_session_id: session.id })).toHaveLength(0);
        const again = await sweepAlipayHkSessions(container);
        expect(again.watched).not.toContain(session.id);
      });

      it("a settled charge is never sent twice", async () => {
        const { session } = await charge("280000000000000003");
        await expect(service.authorizePaymentSession(session.id, {})).rejects.toThrow(/was not authorized/);
        expect(sandbox.trades().filter((t) => t.out_trade_no === session.id)).toHaveLength(1);
      });
    });
  },
});
