import { parseAmountLenient } from "@alipayhk/core";
import {
  matchReconciliation,
  openReconciliationFile,
  readReconFileName,
  toAlipayDay,
  type ReconMatchReport,
  type ReconRecord,
  type StoreLedger,
  type StoreOrder,
  type StoreOrderStatus,
  type StoreRefund,
} from "@alipayhk/core/reconciliation";
import type { AdapterClient, AdapterOrder } from "./adapter-client";

/** One of the sandbox's files for the day, and what core's parser made of it. */
export interface FileSummary {
  name: string;
  url: string;
  kind: "transaction" | "settlement" | null;
  outcome: "records" | "no-data" | "alipay-error";
  records: number;
}

/** The shop's names for an Alipay id: the order, and the return for a refund. */
export interface ShopLabel {
  orderId: string;
  returnId?: string;
}

export interface ReconciliationResult {
  /** The GMT+8 day reconciled. */
  day: string;
  /** Days the sandbox has files for, newest first. */
  days: string[];
  files: FileSummary[];
  report: ReconMatchReport;
  /** By `order:<partner_trans_id>` and `refund:<partner_refund_id>`. */
  labels: Map<string, ShopLabel>;
}

/** What reconciliation needs to know of an order: did the buyer pay, and is the money back. */
export function storeStatus(order: AdapterOrder): StoreOrderStatus {
  switch (order.status) {
    case "paid":
      return order.refunded_amount !== undefined && order.refunded_amount !== "0.00" ? "refunded" : "paid";
    case "canceled":
      // Cancelled after payment: reversed, or refunded in full by the late-cancel fallback.
      return order.paid_at ? "refunded" : "canceled";
    default:
      return order.status;
  }
}

/**
 * The shop's side of the reconciliation, from the adapter's API: every order under the trade id
 * sent to Alipay, and every refund under its `partner_refund_id`.
 */
export async function shopLedger(adapter: AdapterClient): Promise<{ ledger: StoreLedger; labels: Map<string, ShopLabel> }> {
  const orders: StoreOrder[] = [];
  const refunds: StoreRefund[] = [];
  const labels = new Map<string, ShopLabel>();
  for (const listed of await adapter.allOrders()) {
    // Only a paid order can carry refunds; the list view leaves them out.
    const order = listed.paid_at ? await adapter.getOrder(listed.order_id) : listed;
    orders.push({
      id: order.partner_trans_id,
      amount: parseAmountLenient(order.amount),
      currency: order.currency,
      status: storeStatus(order),
      date: toAlipayDay(order.paid_at ?? order.created_at),
    });
    labels.set(`order:${order.partner_trans_id}`, { orderId: order.order_id });
    for (const refund of order.refunds ?? []) {
      refunds.push({
        id: refund.partner_refund_id,
        orderId: order.partner_trans_id,
        amount: parseAmountLenient(refund.amount),
        currency: order.currency,
        status: refund.status,
        date: toAlipayDay(refund.updated_at),
      });
      labels.set(`refund:${refund.partner_refund_id}`, { orderId: order.order_id, returnId: refund.return_id });
    }
  }
  return { ledger: { orders, refunds }, labels };
}

async function fetchText(url: string): Promise<Buffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Fetches the sandbox's reconciliation files for `day` (default: the sandbox's today), parses
 * them with core's parser and matches them against the shop's orders with core's matcher, the
 * same code `alipayhk recon match` runs on files downloaded from Alipay's SFTP.
 */
export async function reconcile(options: { sandboxUrl: string; partner: string; adapter: AdapterClient; day?: string }): Promise<ReconciliationResult> {
  const { sandboxUrl, partner } = options;
  const day = options.day ?? ((await (await fetch(`${sandboxUrl}/sandbox/clock`)).json()) as { day: string }).day;
  const listed = JSON.parse((await fetchText(`${sandboxUrl}/sandbox/files`)).toString("utf8")) as string[];
  const ours = listed.filter((name) => readReconFileName(name)?.partner === partner);
  const days = [...new Set(ours.map((name) => readReconFileName(name)!.date))].sort().reverse();
  const names = ours.filter((name) => readReconFileName(name)!.date === day);
  // A day without records has no listed file; its transaction file still says "nothing was paid".
  if (!names.some((name) => readReconFileName(name)!.kind === "transaction")) names.unshift(`${partner}_transaction_${day.replaceAll("-", "")}.txt`);

  const files: FileSummary[] = [];
  const records: ReconRecord[] = [];
  for (const name of names) {
    const url = `${sandboxUrl}/sandbox/files/${encodeURIComponent(name)}`;
    const file = await openReconciliationFile(await fetchText(url), { fileName: name, expectedPartner: partner });
    const summary: FileSummary = { name, url, kind: readReconFileName(name)?.kind ?? null, outcome: file.outcome, records: 0 };
    if (file.outcome === "records") {
      for await (const record of file) records.push(record);
      summary.records = file.recordCount;
    }
    files.push(summary);
  }
  const { ledger, labels } = await shopLedger(options.adapter);
  const report = await matchReconciliation(records, ledger, { extraDays: [day] });
  return { day, days: days.includes(day) ? days : [day, ...days], files, report, labels };
}
