/**
 * The reconciler of the fault suite: compares the sandbox's ledger (the gateway's truth), the
 * adapter's store (through its API) and the events the platform received, and counts every way
 * they disagree. Each count must be 0.
 */
import type { ApiClient } from "../helpers";
import type { Receiver } from "../helpers";

interface SandboxRefund {
  partner_refund_id: string;
  refund_amount: string;
  status: "PROCESSING" | "SUCCESS";
}

export interface SandboxTrade {
  out_trade_no: string;
  total_fee: string;
  status: string;
  paid_at?: string;
  close_reason?: string;
  refunds: SandboxRefund[];
}

interface AdapterRefund {
  return_id: string;
  partner_refund_id: string;
  amount: string;
  status: "pending" | "succeeded" | "failed";
}

export interface AdapterOrder {
  order_id: string;
  status: "pending" | "paid" | "failed" | "canceled";
  amount: string;
  partner_trans_id: string;
  reversed?: boolean;
  paid_at?: string;
  failure_code?: string;
  refunded_amount?: string;
  refunds?: AdapterRefund[];
}

interface AdapterEvent {
  id: string;
  type: string;
  order_id?: string;
  payload: { data?: Record<string, unknown> };
  deliveries: Array<{ status: string }>;
}

export interface Figures {
  orders: number;
  sandboxTrades: number;
  /** Orders with more than one trade that kept money. */
  doubleCharges: number;
  /** Money kept at the gateway for an order the adapter does not show paid (a late charge not given back counts here). */
  lostPayments: number;
  /** The adapter shows paid, the gateway kept no money for the order. */
  phantomPayments: number;
  /** A paid order whose kept amount at the gateway differs from the adapter's paid − refunded. */
  amountMismatches: number;
  /** Refunds the gateway carried out that the adapter does not show succeeded. */
  refundsExecutedNotRecorded: number;
  /** Refunds the adapter shows succeeded that the gateway did not carry out (same id, same amount). */
  refundsRecordedNotExecuted: number;
  /** Orders or refunds still pending at the adapter, refunds still processing at the gateway. */
  unsettled: number;
  /** Facts without their event at the receiver, and stored events the receiver never got. */
  missingEvents: number;
  /** Late charges found at the gateway (a paid trade on an order the adapter closed) and given back. */
  lateChargesReturned: number;
  /** Of those, the ones the platform got no `order.late_charge` event (resolution reversed/refunded) for. */
  lateChargesUnreported: number;
  /** By adapter status. */
  statuses: Record<string, number>;
  /** What each nonzero count is about (order ids), for the failure message. */
  details: string[];
}

const cents = (amount: string | undefined) => (amount ? Math.round(Number(amount) * 100) : 0);

/** Money the gateway kept on a trade: paid, not reversed, less its successful refunds. */
export function kept(trade: SandboxTrade): number {
  if (!trade.paid_at || trade.close_reason === "reversed") return 0;
  return cents(trade.total_fee) - trade.refunds.filter((r) => r.status === "SUCCESS").reduce((s, r) => s + cents(r.refund_amount), 0);
}

async function getJson<T>(api: ApiClient, path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await api.get<T>(path);
      if (response.status === 200) return response.body;
      if (attempt > 20) throw new Error(`GET ${path}: HTTP ${response.status}`);
    } catch (error) {
      if (attempt > 20) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every order of the run as the adapter shows it (with refunds). */
export async function adapterOrders(api: ApiClient, orderIds: string[]): Promise<AdapterOrder[]> {
  const out: AdapterOrder[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < orderIds.length) {
        const id = orderIds[next++]!;
        const response = await api.get<AdapterOrder>(`/v1/orders/${encodeURIComponent(id)}`);
        if (response.status === 200) out.push(response.body);
      }
    }),
  );
  return out;
}

export async function adapterEvents(api: ApiClient): Promise<AdapterEvent[]> {
  const events: AdapterEvent[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: AdapterEvent[]; next_cursor: string | null } = await getJson(
      api,
      `/v1/events?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    events.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return events;
}

export async function sandboxLedger(sandboxUrl: string): Promise<SandboxTrade[]> {
  return (await (await fetch(`${sandboxUrl}/sandbox/trades`)).json()) as SandboxTrade[];
}

/** The trades of an order: its id, or a later attempt `<id>:<n>`. */
function tradesOf(orderId: string, byPrefix: Map<string, SandboxTrade[]>): SandboxTrade[] {
  return byPrefix.get(orderId) ?? [];
}

export async function reconcile(input: { api: ApiClient; sandboxUrl: string; receiver: Receiver; orderIds: string[]; prefix: string }): Promise<Figures> {
  const [orders, events, ledger] = await Promise.all([adapterOrders(input.api, input.orderIds), adapterEvents(input.api), sandboxLedger(input.sandboxUrl)]);
  const figures: Figures = {
    orders: input.orderIds.length,
    sandboxTrades: 0,
    doubleCharges: 0,
    lostPayments: 0,
    phantomPayments: 0,
    amountMismatches: 0,
    refundsExecutedNotRecorded: 0,
    refundsRecordedNotExecuted: 0,
    unsettled: 0,
    missingEvents: 0,
    lateChargesReturned: 0,
    lateChargesUnreported: 0,
    statuses: {},
    details: [],
  };
  const note = (what: string) => {
    if (figures.details.length < 40) figures.details.push(what);
  };
  const byOrder = new Map<string, SandboxTrade[]>();
  for (const trade of ledger) {
    if (!trade.out_trade_no.startsWith(input.prefix)) continue;
    figures.sandboxTrades += 1;
    const orderId = trade.out_trade_no.replace(/:\d+$/, "");
    byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), trade]);
  }
  const ordersById = new Map(orders.map((o) => [o.order_id, o]));
  const received = input.receiver.deliveries;
  const receivedIds = new Set(received.map((d) => d.id));

  for (const orderId of input.orderIds) {
    const order = ordersById.get(orderId);
    const trades = tradesOf(orderId, byOrder);
    const keptTrades = trades.filter((t) => kept(t) > 0);
    const keptTotal = trades.reduce((s, t) => s + kept(t), 0);
    if (!order) {
      // The adapter never took the order (every create was refused): the gateway must hold nothing.
      figures.statuses.absent = (figures.statuses.absent ?? 0) + 1;
      if (keptTotal > 0) {
        figures.lostPayments += 1;
        note(`lost payment: ${orderId} unknown to the adapter, gateway kept ${keptTotal}`);
      }
      continue;
    }
    figures.statuses[order.status] = (figures.statuses[order.status] ?? 0) + 1;
    if (order.status === "pending") {
      figures.unsettled += 1;
      note(`unsettled: ${orderId} pending`);
    }
    if (keptTrades.length > 1) {
      figures.doubleCharges += 1;
      note(`double charge: ${orderId} kept money on ${keptTrades.map((t) => t.out_trade_no).join(", ")}`);
    }
    const refunds = order.refunds ?? [];
    const refundedAtAdapter = refunds.filter((r) => r.status === "succeeded").reduce((s, r) => s + cents(r.amount), 0);
    if (order.status === "paid") {
      if (keptTrades.length === 0 && refundedAtAdapter < cents(order.amount)) {
        figures.phantomPayments += 1;
        note(`phantom payment: ${orderId} paid at the adapter, nothing kept at the gateway`);
      } else if (keptTotal !== cents(order.amount) - refundedAtAdapter) {
        figures.amountMismatches += 1;
        note(`amount mismatch: ${orderId} adapter ${cents(order.amount)}-${refundedAtAdapter}, gateway kept ${keptTotal}`);
      }
    } else if (keptTotal > 0) {
      figures.lostPayments += 1;
      note(`lost payment: ${orderId} is ${order.status} at the adapter, gateway kept ${keptTotal}`);
    }
    // A charge under an order the adapter never showed paid, nor reversed by its own cancel (the
    // order's cancel, or the barcode request's: failure_code REVERSED): a late charge. It must have
    // been given back (else it counts as a lost payment above) and reported to the platform.
    if (order.status !== "paid" && !order.paid_at && !order.reversed && order.failure_code !== "REVERSED") {
      for (const t of trades.filter((t) => t.paid_at && kept(t) === 0)) {
        figures.lateChargesReturned += 1;
        const reported = received.some(
          (d) =>
            d.type === "order.late_charge" &&
            d.data.order_id === orderId &&
            d.data.partner_trans_id === t.out_trade_no &&
            ["reversed", "refunded"].includes(String(d.data.resolution)),
        );
        if (!reported) {
          figures.lateChargesUnreported += 1;
          note(`late charge given back without order.late_charge: ${t.out_trade_no} (${t.close_reason ?? t.status})`);
        }
      }
    }

    // Refunds, matched by partner_refund_id.
    const gatewayRefunds = new Map<string, SandboxRefund>();
    for (const trade of trades) for (const r of trade.refunds) gatewayRefunds.set(r.partner_refund_id, r);
    const adapterRefunds = new Map(refunds.map((r) => [r.partner_refund_id, r]));
    for (const [id, r] of gatewayRefunds) {
      if (r.status === "PROCESSING") {
        figures.unsettled += 1;
        note(`unsettled: refund ${id} processing at the gateway`);
        continue;
      }
      const mine = adapterRefunds.get(id);
      // A refund the adapter did not ask for (a late charge given back by core, a cancel's fallback)
      // is fine only if it leaves nothing kept on an order the adapter does not show paid.
      if (!mine) {
        if (order.status === "paid") {
          figures.refundsExecutedNotRecorded += 1;
          note(`refund executed, not recorded: ${orderId} ${id} ${r.refund_amount}`);
        }
        continue;
      }
      if (mine.status !== "succeeded" || cents(mine.amount) !== cents(r.refund_amount)) {
        figures.refundsExecutedNotRecorded += 1;
        note(`refund executed, not recorded: ${orderId} ${id} gateway ${r.refund_amount}, adapter ${mine.status} ${mine.amount}`);
      }
    }
    for (const r of refunds) {
      if (r.status === "pending") {
        figures.unsettled += 1;
        note(`unsettled: refund ${orderId}/${r.return_id} pending`);
      }
      if (r.status !== "succeeded") continue;
      const g = gatewayRefunds.get(r.partner_refund_id);
      if (g?.status !== "SUCCESS" || cents(g.refund_amount) !== cents(r.amount)) {
        figures.refundsRecordedNotExecuted += 1;
        note(`refund recorded, not executed: ${orderId}/${r.return_id} ${r.partner_refund_id}`);
      }
    }

    // Events: the order's final state and every settled refund reached the platform.
    const has = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
      received.some((d) => d.type === type && d.data.order_id === orderId && match(d.data));
    const want: Array<[string, (data: Record<string, unknown>) => boolean]> = [];
    if (order.status === "paid") want.push(["payment.succeeded", () => true]);
    if (order.status === "failed") want.push(["payment.failed", () => true]);
    if (order.status === "canceled") want.push(["payment.canceled", () => true]);
    for (const r of refunds) {
      if (r.status === "succeeded") want.push(["refund.succeeded", (d) => d.return_id === r.return_id]);
      if (r.status === "failed") want.push(["refund.failed", (d) => d.return_id === r.return_id]);
    }
    for (const [type, match] of want) {
      if (!has(type, match)) {
        figures.missingEvents += 1;
        note(`missing event: ${type} for ${orderId}`);
      }
    }
  }
  for (const event of events) {
    const orderId = event.order_id ?? (event.payload?.data?.order_id as string | undefined);
    if (orderId && !orderId.startsWith(input.prefix)) continue;
    if (!receivedIds.has(event.id)) {
      figures.missingEvents += 1;
      note(`missing event: stored ${event.type} ${event.id} (${orderId}) never received`);
    }
  }
  return figures;
}

/** The counts that must be 0. */
export function problems(f: Figures): Record<string, number> {
  return {
    doubleCharges: f.doubleCharges,
    lostPayments: f.lostPayments,
    phantomPayments: f.phantomPayments,
    amountMismatches: f.amountMismatches,
    refundsExecutedNotRecorded: f.refundsExecutedNotRecorded,
    refundsRecordedNotExecuted: f.refundsRecordedNotExecuted,
    unsettled: f.unsettled,
    missingEvents: f.missingEvents,
  };
}

export const allZero = (f: Figures) => Object.values(problems(f)).every((n) => n === 0);
