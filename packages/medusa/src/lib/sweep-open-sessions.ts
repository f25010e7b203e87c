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
  const sweep: Sweep = {
    container,
    logger: container.resolve<Logger>(ContainerRegistrationKeys.LOGGER),
    paymentModule: container.resolve<IPaymentModuleService>(Modules.PAYMENT),
    report: { checked: 0, paid: [], closed: [], watched: [], refundsRetried: [], errors: [] },
    providerIds: [],
    now,
  };
  const providers = await sweep.paymentModule.listPaymentProviders({ is_enabled: true });
  sweep.providerIds = providers.map((p) => p.id).filter((id) => id.startsWith("pp_alipayhk-"));
  if (sweep.providerIds.length === 0) return sweep.report;

  await placeStrandedOrders(sweep);
  await recheckOpenSessions(sweep);
  await recheckWatchedSessions(sweep);
  await retryOpenRefunds(sweep);
  return sweep.report;
}

/** What one sweep run works with and reports into. */
interface Sweep {
  container: MedusaContainer;
  logger: Logger;
  paymentModule: IPaymentModuleService;
  report: SweepReport;
  providerIds: string[];
  now: Date;
}

const since = (sweep: Sweep, windowMs: number) => ({ $gte: new Date(sweep.now.getTime() - windowMs) });

/** Places the order of a session paid at Alipay through Medusa's `processPaymentWorkflow`. */
async function completePaid(sweep: Sweep, sessionId: string, amount: BigNumberValue): Promise<void> {
  try {
    await processPaymentWorkflow(sweep.container).run({
      input: { action: PaymentActions.SUCCESSFUL, data: { session_id: sessionId, amount } },
    });
    sweep.report.paid.push(sessionId);
  } catch (error) {
    sweep.report.errors.push(sessionId);
    sweep.logger.error(`alipayhk sweep: session ${sessionId} is paid at Alipay but its order could not be placed: ${(error as Error).message}`);
  }
}

/** Sessions found paid on an earlier run whose order could not be placed then (the workflow failed). */
async function placeStrandedOrders(sweep: Sweep): Promise<void> {
  const stranded = await sweep.paymentModule.listPaymentSessions(
    { provider_id: sweep.providerIds, status: ["authorized"], created_at: since(sweep, STRANDED_WINDOW_MS) } as never,
    { select: ["id", "amount", "data"], relations: ["payment"], take: 200 },
  );
  for (const session of stranded) {
    if (session.payment || (session.data as AlipayHkPaymentData | undefined)?.trade_status !== "paid") continue;
    await completePaid(sweep, session.id, session.amount);
  }
}

/** Pending sessions: the provider looks at each trade again (query, expiry, cancel). */
async function recheckOpenSessions(sweep: Sweep): Promise<void> {
  const sessions = await sweep.paymentModule.listPaymentSessions({ provider_id: sweep.providerIds, status: ["pending"] } as never, {
    select: ["id", "amount", "currency_code", "data", "provider_id", "status"],
    take: 200,
    order: { created_at: "ASC" },
  });
  for (const session of sessions) {
    const data = session.data as AlipayHkPaymentData | undefined;
    if (!data?.partner_trans_id) continue;
    // A barcode session whose code was never charged has no trade to look at.
    if (data.method === "barcode" && data.trade_status === undefined) continue;
    sweep.report.checked++;
    try {
      const updated = await sweep.paymentModule.updatePaymentSession({
        id: session.id,
        amount: session.amount,
        currency_code: session.currency_code,
        data,
      });
      const trade = (updated.data as AlipayHkPaymentData | undefined)?.trade_status;
      if (trade === "paid") {
        await completePaid(sweep, session.id, session.amount);
      } else if (trade === "closed") {
        sweep.report.closed.push(session.id);
      }
    } catch (error) {
      sweep.report.errors.push(session.id);
      sweep.logger.warn(`alipayhk sweep: session ${session.id}: ${(error as Error).message}`);
    }
  }
}

/** Cancelled barcode sessions on the late-charge watch (the watch lasts minutes; a day is ample). */
async function recheckWatchedSessions(sweep: Sweep): Promise<void> {
  const cancelled = await sweep.paymentModule.listPaymentSessions(
    { provider_id: sweep.providerIds, status: ["canceled"], updated_at: since(sweep, STRANDED_WINDOW_MS) } as never,
    { select: ["id", "amount", "currency_code", "data", "provider_id", "status"], take: 200, order: { created_at: "ASC" } },
  );
  const watched = cancelled.filter((s) => typeof (s.data as AlipayHkPaymentData | undefined)?.watch_until === "string");
  for (const session of watched) {
    try {
      await sweep.paymentModule.updatePaymentSession({
        id: session.id,
        amount: session.amount,
        currency_code: session.currency_code,
        data: session.data as Record<string, unknown>,
        // The trade stays closed for Medusa whatever the watch finds: a late charge is given back.
        status: "canceled",
      } as never);
      sweep.report.watched.push(session.id);
    } catch (error) {
      sweep.report.errors.push(session.id);
      sweep.logger.warn(`alipayhk sweep: watched session ${session.id}: ${(error as Error).message}`);
    }
  }
}

/** Refunds whose outcome was open, resent with their original ids and content. */
async function retryOpenRefunds(sweep: Sweep): Promise<void> {
  const payments = await sweep.paymentModule.listPayments({ provider_id: sweep.providerIds, updated_at: since(sweep, REFUND_WINDOW_MS) } as never, {
    select: ["id", "data", "provider_id"],
    take: 500,
  });
  for (const payment of payments) {
    const data = payment.data as AlipayHkPaymentData | undefined;
    if (!data?.refunds?.some((r) => r.status === "pending")) continue;
    try {
      const updated = await resolveAlipayProvider(sweep.paymentModule, payment.provider_id).retryOpenRefunds(data);
      if (updated) {
        // The module's updatePayment writes any column; its DTO type only names the id.
        await sweep.paymentModule.updatePayment({ id: payment.id, data: updated } as UpdatePaymentDTO);
        sweep.report.refundsRetried.push(payment.id);
      }
    } catch (error) {
      sweep.report.errors.push(payment.id);
      sweep.logger.warn(`alipayhk sweep: payment ${payment.id}: ${(error as Error).message}`);
    }
  }
}
