import { formatAmount, type MinorUnits } from "../amount";
import type { StoreLedger, StoreOrder, StoreRefund } from "./orders";
import type { ReconFileKind, ReconRecord, ReconRecordType } from "./records";
import { ReconTotalsBuilder, type ReconTotals } from "./totals";

/** What Alipay's files show for an order or refund. */
export type AlipayState = "paid" | "reversed" | "refunded";

/** An order or refund on which the store and Alipay agree. */
export interface ReconMatch {
  readonly subject: "order" | "refund";
  /** `partner_trans_id` or `partner_refund_id`. */
  readonly id: string;
  readonly amount: MinorUnits;
  readonly currency: string;
  readonly alipayState: AlipayState;
  readonly transactionId: string | null;
}

/** The kinds of disagreement, as they appear in the JSON report. */
export type ReconDiscrepancyKind = "missing_from_file" | "orphan" | "amount_mismatch" | "refund_not_executed" | "status_mismatch" | "duplicate";

/** One disagreement, in one shape for every kind so a table or a JSON consumer can list them together. */
export interface ReconDiscrepancy {
  readonly kind: ReconDiscrepancyKind;
  readonly subject: "order" | "refund" | "record";
  /** `partner_trans_id` / `partner_refund_id` as in the store or the file. */
  readonly id: string;
  readonly storeAmount: MinorUnits | null;
  readonly storeCurrency: string | null;
  readonly storeStatus: string | null;
  readonly alipayAmount: MinorUnits | null;
  readonly alipayCurrency: string | null;
  readonly alipayType: ReconRecordType | null;
  readonly transactionId: string | null;
  /** `file:line` of the Alipay record concerned, when there is one. */
  readonly where: string | null;
  /** One readable sentence. */
  readonly detail: string;
}

/** The result of reconciling Alipay's files with the store. */
export interface ReconMatchReport {
  /** The GMT+8 days the store's orders and refunds were held to, or "all". */
  readonly days: readonly string[] | "all";
  readonly records: number;
  readonly storeOrders: number;
  readonly storeRefunds: number;
  readonly matched: readonly ReconMatch[];
  /** Paid in the store, no payment in the files. */
  readonly missingFromFile: readonly ReconDiscrepancy[];
  /** Money at Alipay (payments, refunds, reversals) with no store order or refund. */
  readonly orphans: readonly ReconDiscrepancy[];
  readonly amountMismatches: readonly ReconDiscrepancy[];
  /** Refunds the store recorded as done that Alipay did not execute. */
  readonly refundsNotExecuted: readonly ReconDiscrepancy[];
  /** Store and Alipay disagree on what happened (e.g. canceled in the store, paid at Alipay). */
  readonly statusMismatches: readonly ReconDiscrepancy[];
  /** The same record twice in files of the same kind. */
  readonly duplicates: readonly ReconDiscrepancy[];
  /** Store orders and refunds dated outside `days`: they belong to other files. */
  readonly outsidePeriod: { readonly orders: number; readonly refunds: number };
  /** Fees and net settlement per day: from the settlement records when any were given, else the transaction records. */
  readonly totals: ReconTotals;
  readonly totalsSource: ReconFileKind | null;
  readonly discrepancyCount: number;
}

/** Options of `matchReconciliation`. */
export interface ReconMatchOptions {
  /**
   * GMT+8 days the files cover. Store orders and refunds dated on other days are left out (not
   * "missing"), since they belong to other files. By default: the header dates given here plus
   * every record's payment day. `"all"` holds every order and refund to the files.
   */
  readonly days?: readonly string[] | "all";
  /**
   * Days added to those of the records, e.g. the header dates of transaction files (an empty file
   * for day T still means "nothing was paid on T"). Read after the records are consumed.
   */
  readonly extraDays?: readonly string[];
}

/** The part of a record matching keeps: far smaller than the record, for files of millions of lines. @internal */
export interface AlipayEntry {
  readonly kind: ReconFileKind;
  readonly type: ReconRecordType;
  readonly partnerTransactionId: string;
  readonly transactionId: string;
  readonly amount: MinorUnits;
  readonly currency: string;
  /** Kept as file and line, not as a "file:line" string: one string fewer per record. */
  readonly file: string;
  readonly line: number;
  /** The same movement as an entry from the other kind of file: kept to tell duplicates apart, never counted. */
  echo: boolean;
}

const counted = (entry: AlipayEntry): boolean => !entry.echo;

/**
 * Reconciles Alipay's transaction and/or settlement records with the store's orders and refunds.
 * Payments match orders by `partner_trans_id`, refunds match store refunds by `partner_refund_id`,
 * reversals and cancels attach to their trade by Alipay's transaction id. A record present in both
 * a transaction and a settlement file counts once. Store data can come from `loadStoreLedger` or
 * straight from an adapter.
 *
 * @example
 * const file = await openReconciliationFile(path);
 * if (file.outcome === "records") {
 *   const report = await matchReconciliation(file, await loadStoreLedger("orders.csv"));
 *   process.exitCode = report.discrepancyCount > 0 ? 1 : 0;
 * }
 */
export async function matchReconciliation(
  records: AsyncIterable<ReconRecord> | Iterable<ReconRecord>,
  ledger: StoreLedger,
  options: ReconMatchOptions = {},
): Promise<ReconMatchReport> {
  const index = new MatchIndex();
  const duplicates: ReconDiscrepancy[] = [];
  const tally = new RecordTally();
  for await (const record of records) {
    tally.add(record);
    const duplicate = index.add(entryOf(record, ownCopy(record.partnerTransactionId), ownCopy(record.transactionId)));
    if (duplicate !== null) duplicates.push(duplicate);
  }
  const days = tally.days(options);

  const matched: ReconMatch[] = [];
  const missingFromFile: ReconDiscrepancy[] = [];
  const amountMismatches: ReconDiscrepancy[] = [];
  const statusMismatches: ReconDiscrepancy[] = [];
  const refundsNotExecuted: ReconDiscrepancy[] = [];
  const orphans: ReconDiscrepancy[] = [];
  const outsidePeriod = { orders: 0, refunds: 0 };
  index.settle(ledger.orders, ledger.refunds, days, {
    matched: (match) => matched.push(match),
    discrepancy: (found) => {
      const list = {
        missing_from_file: missingFromFile,
        orphan: orphans,
        amount_mismatch: amountMismatches,
        refund_not_executed: refundsNotExecuted,
        status_mismatch: statusMismatches,
        duplicate: duplicates,
      }[found.kind];
      list.push(found);
    },
    outsidePeriod: (subject) => {
      if (subject === "order") outsidePeriod.orders++;
      else outsidePeriod.refunds++;
    },
  });

  const discrepancyCount =
    missingFromFile.length + orphans.length + amountMismatches.length + refundsNotExecuted.length + statusMismatches.length + duplicates.length;
  return {
    days,
    records: tally.records,
    storeOrders: ledger.orders.length,
    storeRefunds: ledger.refunds.length,
    matched,
    missingFromFile,
    orphans,
    amountMismatches,
    refundsNotExecuted,
    statusMismatches,
    duplicates,
    outsidePeriod,
    ...tally.totals(),
    discrepancyCount,
  };
}

/**
 * What every matcher counts of the records as they stream past: how many, of which kind, their
 * days, and the totals of each kind of file. Shared by `matchReconciliation` and the bounded-memory
 * `matchReconciliationStream`, so both report the same.
 */
export class RecordTally {
  records = 0;
  private settlements = 0;
  private readonly recordDays = new Set<string>();
  private readonly transactionTotals = new ReconTotalsBuilder();
  private readonly settlementTotals = new ReconTotalsBuilder();

  add(record: ReconRecord): void {
    this.records++;
    if (record.kind === "settlement") {
      this.settlements++;
      this.settlementTotals.add(record);
    } else {
      this.transactionTotals.add(record);
    }
    this.recordDays.add(record.paymentTime.slice(0, 10));
  }

  /**
   * The days to match: `options.days`, else the records' days and `options.extraDays` (read only
   * now, so a caller can add the dates of the files as it streams them).
   */
  days(options: Pick<ReconMatchOptions, "days" | "extraDays">): readonly string[] | "all" {
    for (const day of options.extraDays ?? []) this.recordDays.add(day);
    return options.days ?? [...this.recordDays].sort();
  }

  /** The totals of the settlement file when there was one, else of the transaction file. */
  totals(): { totals: ReconTotals; totalsSource: ReconFileKind | null } {
    const totalsSource: ReconFileKind | null = this.settlements > 0 ? "settlement" : this.records > 0 ? "transaction" : null;
    return { totals: (totalsSource === "settlement" ? this.settlementTotals : this.transactionTotals).result(), totalsSource };
  }
}

/** The compact entry matching keeps for a record; `partnerTransactionId` and `transactionId` given as the caller wants them kept. */
export function entryOf(record: ReconRecord, partnerTransactionId: string, transactionId: string): AlipayEntry {
  return {
    kind: record.kind,
    type: record.type,
    partnerTransactionId,
    transactionId,
    amount: Math.abs(record.amount),
    currency: record.currency,
    file: record.file,
    line: record.line,
    echo: false,
  };
}

/** Where the findings of `MatchIndex.settle` go. */
export interface MatchOutput {
  matched(match: ReconMatch): void;
  discrepancy(found: ReconDiscrepancy): void;
  outsidePeriod(subject: "order" | "refund"): void;
}

/**
 * The matching itself, over records and store entries that can only concern each other: the whole
 * input for `matchReconciliation`, one partition of it for `matchReconciliationStream`.
 * @internal
 */
export class MatchIndex {
  readonly payments = new Map<string, AlipayEntry[]>(); // by partner_trans_id
  readonly refunds = new Map<string, AlipayEntry[]>(); // by partner_refund_id
  readonly reversals = new Map<string, AlipayEntry[]>(); // by Alipay transaction id

  /** Adds a record's entry, in file order; returns the duplicate finding when it is one. */
  add(entry: AlipayEntry): ReconDiscrepancy | null {
    const reversal = entry.type === "REVERSAL" || entry.type === "CANCEL";
    const group = reversal ? this.reversals : entry.type === "PAYMENT" ? this.payments : this.refunds;
    const key = reversal ? entry.transactionId : entry.partnerTransactionId;
    const list = group.get(key);
    if (list === undefined) {
      group.set(key, [entry]);
      return null;
    }
    // The same movement (same ids and type) twice in one kind of file is a duplicate; once in each
    // kind (transaction and settlement file) it is one movement, kept aside so it counts once.
    const sameMovement = (e: AlipayEntry) =>
      e.type === entry.type && e.partnerTransactionId === entry.partnerTransactionId && e.transactionId === entry.transactionId;
    if (list.some((e) => sameMovement(e) && e.kind === entry.kind)) {
      return discrepancy(
        "duplicate",
        "record",
        entry.partnerTransactionId,
        null,
        entry,
        `${entry.type} ${entry.partnerTransactionId} appears twice in the ${entry.kind} files`,
      );
    }
    entry.echo = list.some(sameMovement);
    list.push(entry);
    return null;
  }

  /** Matches the store's orders and refunds (each iterated twice) against the entries added; consumes the index. */
  settle(orders: Iterable<StoreOrder>, storeRefunds: Iterable<StoreRefund>, days: readonly string[] | "all", out: MatchOutput): void {
    const { payments, refunds, reversals } = this;
    // A cancel may come without its payment (paid and cancelled the same day): find it by the order id.
    const reversalsByPartnerId = new Map<string, string[]>();
    for (const [transactionId, entries] of reversals) {
      for (const entry of entries) push(reversalsByPartnerId, entry.partnerTransactionId, transactionId);
    }
    const inPeriod = (date: string | null): boolean => days === "all" || date === null || days.includes(date);
    // A settlement file has only P and R: a cancelled trade comes as R under the trade's own id, the
    // transaction id (spec §5.3) or the partner_trans_id (the sandbox). Such an R is a reversal.
    const storeRefundIds = new Set<string>();
    for (const refund of storeRefunds) storeRefundIds.add(refund.id);
    const storeOrderIds = new Set<string>();
    for (const order of orders) storeOrderIds.add(order.id);
    for (const [id, entries] of [...refunds]) {
      if (storeRefundIds.has(id)) continue;
      const isCancel = (entry: AlipayEntry) =>
        entry.kind === "settlement" &&
        (id === entry.transactionId || storeOrderIds.has(id) || (payments.get(id)?.some((payment) => payment.transactionId === entry.transactionId) ?? false));
      if (!entries.every(isCancel)) continue;
      refunds.delete(id);
      for (const entry of entries) push(reversals, entry.transactionId, entry);
    }

    for (const order of orders) {
      const paid = (payments.get(order.id) ?? []).filter(counted);
      payments.delete(order.id);
      const reversed: AlipayEntry[] = [];
      const tradeIds = new Set([...paid.map((entry) => entry.transactionId), ...(reversalsByPartnerId.get(order.id) ?? [])]);
      for (const transactionId of tradeIds) {
        reversed.push(...(reversals.get(transactionId) ?? []).filter(counted));
        reversals.delete(transactionId);
      }
      const first = paid[0] ?? reversed[0];
      const storePaid = order.status === "paid" || order.status === "refunded";
      if (first === undefined) {
        if (!storePaid) continue;
        if (!inPeriod(order.date)) {
          out.outsidePeriod("order");
          continue;
        }
        out.discrepancy(
          orderDiscrepancy("missing_from_file", order, null, `paid in the store${order.date ? ` on ${order.date}` : ""}, no PAYMENT in the files`),
        );
        continue;
      }
      const alipayState: AlipayState = reversed.length > 0 ? "reversed" : "paid";
      // "refunded" in the store and reversed at Alipay agree: the buyer has the money back either way.
      if (order.status === "paid" && alipayState === "reversed") {
        out.discrepancy(
          orderDiscrepancy(
            "status_mismatch",
            order,
            reversed[0]!,
            `${order.status} in the store, ${reversed[0]!.type} at Alipay (money returned to the buyer)`,
          ),
        );
        continue;
      }
      if (!storePaid && alipayState === "paid") {
        out.discrepancy(orderDiscrepancy("status_mismatch", order, first, `${order.status} in the store, paid at Alipay`));
        continue;
      }
      if (alipayState === "paid") {
        const total = paid.reduce((sum, entry) => sum + entry.amount, 0);
        if (total !== order.amount || first.currency !== order.currency) {
          out.discrepancy(
            orderDiscrepancy(
              "amount_mismatch",
              order,
              { ...first, amount: total },
              `store ${order.currency} ${formatAmount(order.amount)}, Alipay ${first.currency} ${formatAmount(total)}`,
            ),
          );
          continue;
        }
      }
      out.matched({ subject: "order", id: order.id, amount: order.amount, currency: order.currency, alipayState, transactionId: first.transactionId });
    }

    for (const refund of storeRefunds) {
      const done = (refunds.get(refund.id) ?? []).filter(counted);
      refunds.delete(refund.id);
      const first = done[0];
      if (first === undefined) {
        if (refund.status !== "succeeded") continue;
        if (!inPeriod(refund.date)) {
          out.outsidePeriod("refund");
          continue;
        }
        out.discrepancy(
          refundDiscrepancy("refund_not_executed", refund, null, `refunded in the store${refund.date ? ` on ${refund.date}` : ""}, no REFUND in the files`),
        );
        continue;
      }
      if (refund.status !== "succeeded") {
        out.discrepancy(refundDiscrepancy("status_mismatch", refund, first, `refund ${refund.status} in the store, executed at Alipay`));
        continue;
      }
      const total = done.reduce((sum, entry) => sum + entry.amount, 0);
      if (total !== refund.amount || first.currency !== refund.currency) {
        out.discrepancy(
          refundDiscrepancy(
            "amount_mismatch",
            refund,
            { ...first, amount: total },
            `store refund ${refund.currency} ${formatAmount(refund.amount)}, Alipay ${first.currency} ${formatAmount(total)}`,
          ),
        );
        continue;
      }
      out.matched({
        subject: "refund",
        id: refund.id,
        amount: refund.amount,
        currency: refund.currency,
        alipayState: "refunded",
        transactionId: first.transactionId,
      });
    }

    for (const group of [payments, refunds, reversals]) {
      for (const entries of group.values()) {
        for (const entry of entries.filter(counted)) {
          const what = entry.type === "PAYMENT" ? "no store order" : entry.type === "REFUND" ? "no store refund" : "no store order";
          out.discrepancy(discrepancy("orphan", "record", entry.partnerTransactionId, null, entry, `${entry.type} at Alipay, ${what} with this id`));
        }
      }
    }
    payments.clear();
    refunds.clear();
    reversals.clear();
  }
}

/**
 * A copy of an id that no longer points into the chunk of text it was split from: V8 keeps a
 * substring as a slice of its parent, so keeping a million ids would keep the whole file's text.
 * Concatenation then slicing makes V8 flatten the id into a string of its own.
 */
function ownCopy(id: string): string {
  return ` ${id}`.slice(1);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function discrepancy(
  kind: ReconDiscrepancyKind,
  subject: ReconDiscrepancy["subject"],
  id: string,
  store: { amount: MinorUnits; currency: string; status: string } | null,
  entry: AlipayEntry | null,
  detail: string,
): ReconDiscrepancy {
  return {
    kind,
    subject,
    id,
    storeAmount: store?.amount ?? null,
    storeCurrency: store?.currency ?? null,
    storeStatus: store?.status ?? null,
    alipayAmount: entry?.amount ?? null,
    alipayCurrency: entry?.currency ?? null,
    alipayType: entry?.type ?? null,
    transactionId: entry?.transactionId ?? null,
    where: entry ? `${entry.file}:${entry.line}` : null,
    detail,
  };
}

function orderDiscrepancy(kind: ReconDiscrepancyKind, order: StoreOrder, entry: AlipayEntry | null, detail: string): ReconDiscrepancy {
  return discrepancy(kind, "order", order.id, order, entry, detail);
}

function refundDiscrepancy(kind: ReconDiscrepancyKind, refund: StoreRefund, entry: AlipayEntry | null, detail: string): ReconDiscrepancy {
  return discrepancy(kind, "refund", refund.id, refund, entry, detail);
}
