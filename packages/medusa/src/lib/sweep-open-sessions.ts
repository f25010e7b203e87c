import type { BigNumberValue, IPaymentModuleService, Logger, MedusaContainer, UpdatePaymentDTO } from "@medusajs/framework/types";
import { ContainerRegistrationKeys, Modules, PaymentActions } from "@medusajs/framework/utils";
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows";
import type { AlipayHkPaymentData } from "../providers/alipayhk/types";
import { resolveAlipayProvider } from "./alipayhk-provider";

export interface SweepReport {
  /** Open sessions looked at. */
  checked: number;
  /** Sessions found paid whose cart was then completed (the notification was lost or late). */
  paid: string[];
  /** Sessions whose trade was closed or expired: now `canceled`. */
  closed: string[];
  /** Cancelled barcode sessions watched for a late charge this run (see `watch_until`). */
  watched: string[];
  /** Payments whose open refunds were retried. */
  refundsRetried: string[];
  /** Sessions or payments that could not be handled this time (logged; retried next run). */
  errors: string[];
}

const REFUND_WINDOW_MS = 7 * 24 * 3600 * 1000;
const STRANDED_WINDOW_MS = 24 * 3600 * 1000;

/**
 * One pass of the scheduled job. Nothing may stay `pending` forever:
 * - every open Alipay HK session is re-checked through the payment module's
 *   `updatePaymentSession`, which makes the provider run core's `sweepOpenTrades` on it: a QR
 *   past its expiry is closed at Alipay and the session becomes `canceled`; an open barcode
 *   charge is resolved by query, then cancel;
 * - a session found paid goes through Medusa's `processPaymentWorkflow`, as the notification
 *   would have (captured payment, cart completed into an order);
 * - a barcode session cancelled while its charge was open, before Alipay knew the id, keeps
 *   `watch_until` in its data: until then it is re-checked the same way, which passes it to
 *   `sweepOpenTrades({ watches })`; a late charge found there is given back by core and recorded
 *   (`late_charge`), and the watch is dropped when core says it ended;
 * - refunds whose outcome was open are resent with their original ids and content.
 */
export async function sweepAlipayHkSessions(container: MedusaContainer, now = new Date()): Promise<SweepReport> {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER);
  const paymentModule = container.resolve<IPaymentModuleService>(Modules.PAYMENT);
  const report: SweepReport = { checked: 0, paid: [], closed: [], watched: [], refundsRetried: [], errors: [] };

  const providers = await paymentModule.listPaymentProviders({ is_enabled: true });
  const providerIds = providers.map((p) => p.id).filter((id) => id.startsWith("pp_alipayhk-"));
  if (providerIds.length === 0) return report;

  const sessions = await paymentModule.listPaymentSessions(
    { provider_id: providerIds, status: ["pending"] } as never,
    { select: ["id", "amount", "currency_code", "data", "provider_id", "status"], take: 200, order: { created_at: "ASC" } }
  );
  // Found paid on an earlier run, but the order could not be placed then (the workflow failed).
  const stranded = await paymentModule.listPaymentSessions(
    { provider_id: providerIds, status: ["authorized"], created_at: { $gte: new Date(now.getTime() - STRANDED_WINDOW_MS) } } as never,
    { select: ["id", "amount", "data"], relations: ["payment"], take: 200 }
  );
  // Cancelled barcode sessions on the late-charge watch (the watch lasts minutes; a day is ample).
  const cancelled = await paymentModule.listPaymentSessions(
    { provider_id: providerIds, status: ["canceled"], updated_at: { $gte: new Date(now.getTime() - STRANDED_WINDOW_MS) } } as never,
    { select: ["id", "amount", "currency_code", "data", "provider_id", "status"], take: 200, order: { created_at: "ASC" } }
  );
  const watched = cancelled.filter((s) => typeof (s.data as AlipayHkPaymentData | undefined)?.watch_until === "string");
  for (const session of stranded) {
    if (session.payment || (session.data as AlipayHkPaymentData | undefined)?.trade_status !== "paid") continue;
    await completePaid(session.id, session.amount);
  }

  async function completePaid(sessionId: string, amount: BigNumberValue): Promise<void> {
    try {
      await processPaymentWorkflow(container).run({
        input: { action: PaymentActions.SUCCESSFUL, data: { session_id: sessionId, amount } },
      });
      report.paid.push(sessionId);
    } catch (error) {
      report.errors.push(sessionId);
      logger.error(`alipayhk sweep: session ${sessionId} is paid at Alipay but its order could not be placed: ${(error as Error).message}`);
    }
  }

  for (const session of sessions) {
    const data = session.data as AlipayHkPaymentData | undefined;
    if (!data?.partner_trans_id) continue;
    // A barcode session whose code was never charged has no trade to look at.
    if (data.method === "barcode" && data.trade_status === undefined) continue;
    report.checked++;
    try {
      const updated = await paymentModule.updatePaymentSession({
        id: session.id,
        amount: session.amount,
        currency_code: session.currency_code,
        data,
      });
      const trade = (updated.data as AlipayHkPaymentData | undefined)?.trade_status;
      if (trade === "paid") {
        await completePaid(session.id, session.amount);
      } else if (trade === "closed") {
        report.closed.push(session.id);
      }
    } catch (error) {
      report.errors.push(session.id);
      logger.warn(`alipayhk sweep: session ${session.id}: ${(error as Error).message}`);
    }
  }

  for (const session of watched) {
    try {
      await paymentModule.updatePaymentSession({
        id: session.id,
        amount: session.amount,
        currency_code: session.currency_code,
        data: session.data as Record<string, unknown>,
        // The trade stays closed for Medusa whatever the watch finds: a late charge is given back.
        status: "canceled",
      } as never);
      report.watched.push(session.id);
    } catch (error) {
      report.errors.push(session.id);
      logger.warn(`alipayhk sweep: watched session ${session.id}: ${(error as Error).message}`);
    }
  }

  const payments = await paymentModule.listPayments(
    { provider_id: providerIds, updated_at: { $gte: new Date(now.getTime() - REFUND_WINDOW_MS) } } as never,
    { select: ["id", "data", "provider_id"], take: 500 }
  );
  for (const payment of payments) {
    const data = payment.data as AlipayHkPaymentData | undefined;
    if (!data?.refunds?.some((r) => r.status === "pending")) continue;
    try {
      const updated = await resolveAlipayProvider(paymentModule, payment.provider_id).retryOpenRefunds(data);
      if (updated) {
        // The module's updatePayment writes any column; its DTO type only names the id.
        await paymentModule.updatePayment({ id: payment.id, data: updated } as UpdatePaymentDTO);
        report.refundsRetried.push(payment.id);
      }
    } catch (error) {
      report.errors.push(payment.id);
      logger.warn(`alipayhk sweep: payment ${payment.id}: ${(error as Error).message}`);
    }
  }
  return report;
}
