/**
 * Reconciliation files from the sandbox's own ledger, in the layouts of Alipay's HK documents
 * ("Transaction file format" and "Settlement file format" of the HK Transaction QR Code and
 * Barcode products): `PID_transaction_YYYYMMDD.txt` has a header line
 * (`Partner|Payment_time|Total_count`), the column-name line and 17 columns ending `Issue`;
 * `PID_settlement_YYYYMMDD.txt` has no header line, the column-name line and 20 columns ending
 * `Issue`. UTF-8, `\n`.
 * Amounts are positive; the type column gives the direction. Fees at the configured rate,
 * half-up to the cent; refunds and cancels give the fee back.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatAmount, formatGmt8, gmt8Day } from "@alipayhk/core";
import { addDays, compactDay } from "./clock";
import type { TradeRecord } from "./ledger";

export const TRANSACTION_COLUMNS = [
  "Partner_transaction_id",
  "Transaction_id",
  "Transaction_amount",
  "Charge_amount",
  "Currency",
  "Payment_time",
  "Transaction_type",
  "Remark",
  "Secondary_merchant_industry",
  "Secondary_merchant_name",
  "Secondary_merchant_id",
  "Operator_name",
  "Order_scene",
  "Trans_currency",
  "Trans_amount",
  "Trans_forex_rate",
  "Issue",
] as const;

export const SETTLEMENT_COLUMNS = [
  "Partner_transaction_id",
  "Transaction_id",
  "Amount",
  "Fee",
  "Settlement",
  "Currency",
  "Payment_time",
  "Settlement_time",
  "Type",
  "Status",
  "Remarks",
  "Secondary_merchant_industry",
  "Secondary_merchant_name",
  "Secondary_merchant_id",
  "Operator_name",
  "Order_scene",
  "Trans_currency",
  "Trans_amount",
  "Trans_forex_rate",
  "Issue",
] as const;

/** One money movement of the ledger. */
export interface LedgerEntry {
  type: "PAYMENT" | "REFUND" | "CANCEL";
  /** partner_trans_id (PAYMENT, CANCEL) or partner_refund_id (REFUND). */
  id: string;
  trade: TradeRecord;
  at: Date;
  /** Cents, positive. */
  amount: number;
  /** Cents, positive: charged (PAYMENT) or given back (REFUND, CANCEL). */
  fee: number;
  remark: string;
}

/** Fee in cents for `cents` at `rate`, half-up, in exact integer arithmetic. */
export function feeFor(cents: number, rate: number): number {
  const micros = BigInt(Math.round(rate * 1_000_000));
  return Number((BigInt(cents) * micros + 500_000n) / 1_000_000n);
}

/** The ledger's money movements in time order. */
export function ledgerEntries(trades: Iterable<TradeRecord>, feeRate: number): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const trade of trades) {
    if (!trade.paidAt) continue;
    const paymentFee = feeFor(trade.amount, feeRate);
    entries.push({ type: "PAYMENT", id: trade.partnerTransId, trade, at: new Date(trade.paidAt), amount: trade.amount, fee: paymentFee, remark: "" });
    // Refund fees as differences of cumulative fees, so a trade refunded in parts gives back exactly its fee.
    let refunded = 0;
    let feeBack = 0;
    const done = trade.refunds.filter((r) => r.status === "SUCCESS" && r.completedAt).sort((a, b) => (a.completedAt! < b.completedAt! ? -1 : 1));
    for (const refund of done) {
      refunded += refund.amount;
      const fee = feeFor(refunded, feeRate) - feeBack;
      feeBack += fee;
      entries.push({
        type: "REFUND",
        id: refund.partnerRefundId,
        trade,
        at: new Date(refund.completedAt!),
        amount: refund.amount,
        fee,
        remark: refund.reason || "Refund",
      });
    }
    if (trade.reversedAt) {
      entries.push({
        type: "CANCEL",
        id: trade.partnerTransId,
        trade,
        at: new Date(trade.reversedAt),
        amount: trade.amount - refunded,
        fee: paymentFee - feeBack,
        remark: "Cancel",
      });
    }
  }
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** A field value that cannot break the `|`-separated line. */
function cell(value: string | undefined): string {
  return (value ?? "").replace(/[|\r\n]+/g, " ");
}

function tradeColumns(entry: LedgerEntry): { industry: string; name: string; id: string; operator: string; scene: string } {
  const m = entry.trade.merchant;
  return {
    industry: cell(m.industry),
    name: cell(m.name),
    id: cell(m.id),
    operator: cell(m.storeName),
    scene: entry.trade.product === "qr" ? "shopQrCode" : "",
  };
}

/** `PID_transaction_YYYYMMDD.txt` for the GMT+8 day `day` (`YYYY-MM-DD`). */
export function transactionFile(partner: string, day: string, entries: LedgerEntry[]): string {
  const rows = entries.filter((e) => e.trade.partner === partner && gmt8Day(e.at) === day);
  // The header's Payment_time in the field table's form, yyyy-MM-dd HH:mm:ss (the day's start, GMT+8).
  const lines = [`Partner:${partner}|Payment_time:${day} 00:00:00|Total_count:${rows.length}`, TRANSACTION_COLUMNS.join("|")];
  for (const e of rows) {
    const t = tradeColumns(e);
    const amount = formatAmount(e.amount);
    lines.push(
      [
        cell(e.id),
        e.trade.alipayTransId,
        amount,
        formatAmount(e.fee),
        e.trade.currency,
        formatGmt8(e.at),
        e.type,
        cell(e.remark),
        t.industry,
        t.name,
        t.id,
        t.operator,
        t.scene,
        e.trade.transCurrency,
        amount,
        "1",
        e.trade.buyer?.wallet ?? "",
      ].join("|"),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `PID_settlement_YYYYMMDD.txt` for settlement day `day`: the entries of `day - delayDays`. */
export function settlementFile(partner: string, day: string, entries: LedgerEntry[], delayDays: number): string {
  const rows = entries.filter((e) => e.trade.partner === partner && addDays(gmt8Day(e.at), delayDays) === day);
  // The HK settlement file has no header line (the documents list only the record details).
  const lines = [SETTLEMENT_COLUMNS.join("|")];
  for (const e of rows) {
    const t = tradeColumns(e);
    const amount = formatAmount(e.amount);
    lines.push(
      [
        cell(e.id),
        e.trade.alipayTransId,
        amount,
        formatAmount(e.fee),
        formatAmount(e.amount - e.fee),
        e.trade.currency,
        formatGmt8(e.at),
        // Settled `delayDays` after the transaction, at the same clock time: always on day S.
        formatGmt8(new Date(e.at.getTime() + delayDays * 86_400_000)),
        e.type === "PAYMENT" ? "P" : "R",
        "L",
        cell(e.remark),
        t.industry,
        t.name,
        t.id,
        t.operator,
        t.scene,
        e.trade.transCurrency,
        amount,
        "1",
        e.trade.buyer?.wallet ?? "",
      ].join("|"),
    );
  }
  return `${lines.join("\n")}\n`;
}

const FILE_NAME = /^(2088[0-9]{12})_(transaction|settlement)_([0-9]{4})([0-9]{2})([0-9]{2})\.txt$/;

export interface FileName {
  partner: string;
  kind: "transaction" | "settlement";
  /** `YYYY-MM-DD`. */
  day: string;
}

export function parseFileName(name: string): FileName | undefined {
  const m = FILE_NAME.exec(name);
  if (!m) return undefined;
  const day = `${m[3]}-${m[4]}-${m[5]}`;
  if (Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) return undefined;
  return { partner: m[1]!, kind: m[2] as FileName["kind"], day };
}

export function fileName(partner: string, kind: FileName["kind"], day: string): string {
  return `${partner}_${kind}_${compactDay(day)}.txt`;
}

/** The names of the files with records, up to `today` (GMT+8). */
export function availableFiles(entries: LedgerEntry[], delayDays: number, today: string): string[] {
  const names = new Set<string>();
  for (const e of entries) {
    const day = gmt8Day(e.at);
    if (day <= today) names.add(fileName(e.trade.partner, "transaction", day));
    const settled = addDays(day, delayDays);
    if (settled <= today) names.add(fileName(e.trade.partner, "settlement", settled));
  }
  return [...names].sort();
}

/** Renders one named file from the entries. */
export function renderFile(name: FileName, entries: LedgerEntry[], delayDays: number): string {
  return name.kind === "transaction" ? transactionFile(name.partner, name.day, entries) : settlementFile(name.partner, name.day, entries, delayDays);
}

/** Writes every available file into a folder (atomically, file by file). */
export function writeFiles(dir: string, entries: LedgerEntry[], delayDays: number, today: string): string[] {
  mkdirSync(dir, { recursive: true });
  const names = availableFiles(entries, delayDays, today);
  for (const name of names) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, renderFile(parseFileName(name)!, entries, delayDays), "utf8");
    renameSync(`${path}.tmp`, path);
  }
  return names;
}
