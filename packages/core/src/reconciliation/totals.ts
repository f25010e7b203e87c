import { AmountError, formatAmount, type MinorUnits } from "../amount";
import { RECON_RECORD_TYPES, recordDay, signedAmount, signedFee, signedNet, type ReconRecord, type ReconRecordType } from "./records";

/** Money per day (GMT+8): the settlement day for settlement records, else the payment day. */
export interface ReconDayTotal {
  readonly date: string;
  readonly records: number;
  /** Payments in. */
  readonly payments: MinorUnits;
  /** Refunds, reversals and cancels out (a negative number). */
  readonly refunds: MinorUnits;
  /** Fees charged minus fees returned (a positive number is a cost to the merchant). */
  readonly fees: MinorUnits;
  /** What the day moves into the merchant's account: payments + refunds − fees. */
  readonly net: MinorUnits;
}

/** Counts and sums over a set of records, every amount exact in minor units. */
export interface ReconTotals {
  readonly records: number;
  readonly countByType: Readonly<Partial<Record<ReconRecordType, number>>>;
  /** Sum of amounts per type, as positive numbers (the type says the direction). */
  readonly amountByType: Readonly<Partial<Record<ReconRecordType, MinorUnits>>>;
  /**
   * Fees charged on payments minus fees returned on refunds, reversals and cancels: what Alipay's
   * service cost over these records. The type gives the direction, as for amounts.
   */
  readonly feeTotal: MinorUnits;
  /** Fees on payments. */
  readonly feeCharged: MinorUnits;
  /** Fees on refunds, reversals and cancels (as a positive number). */
  readonly feeReturned: MinorUnits;
  /** Payments minus refunds, reversals and cancels. */
  readonly netAmount: MinorUnits;
  /** `netAmount − feeTotal`, or the sum of the `Settlement` column for settlement records. */
  readonly netSettlement: MinorUnits;
  /** Per day, oldest first. */
  readonly byDay: readonly ReconDayTotal[];
}

interface MutableDay {
  records: number;
  payments: MinorUnits;
  refunds: MinorUnits;
  fees: MinorUnits;
  net: MinorUnits;
}

/** Adds while staying exact: a total past 2^53 cents is an error, never a rounded number. */
function add(a: MinorUnits, b: MinorUnits): MinorUnits {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new AmountError("total", `total: exceeds ${formatAmount(Number.MAX_SAFE_INTEGER)}; cannot be kept exact`);
  return sum;
}

/**
 * Accumulates totals one record at a time, so a summary of a streamed file needs no list of its
 * records.
 *
 * @example
 * const totals = new ReconTotalsBuilder();
 * for await (const record of file) totals.add(record);
 * totals.result().feeTotal;
 */
export class ReconTotalsBuilder {
  private records = 0;
  private readonly count = new Map<ReconRecordType, number>();
  private readonly amount = new Map<ReconRecordType, MinorUnits>();
  private fee: MinorUnits = 0;
  private feeCharged: MinorUnits = 0;
  private feeReturned: MinorUnits = 0;
  private net: MinorUnits = 0;
  private settled: MinorUnits = 0;
  private readonly days = new Map<string, MutableDay>();

  add(record: ReconRecord): void {
    this.records++;
    const type = record.type;
    this.count.set(type, (this.count.get(type) ?? 0) + 1);
    this.amount.set(type, add(this.amount.get(type) ?? 0, Math.abs(record.amount)));
    const amount = signedAmount(record);
    const fee = signedFee(record);
    const net = signedNet(record);
    this.fee = add(this.fee, fee);
    if (fee >= 0) this.feeCharged = add(this.feeCharged, fee);
    else this.feeReturned = add(this.feeReturned, -fee);
    this.net = add(this.net, amount);
    this.settled = add(this.settled, net);
    const date = recordDay(record);
    let day = this.days.get(date);
    if (day === undefined) {
      day = { records: 0, payments: 0, refunds: 0, fees: 0, net: 0 };
      this.days.set(date, day);
    }
    day.records++;
    if (amount >= 0) day.payments = add(day.payments, amount);
    else day.refunds = add(day.refunds, amount);
    day.fees = add(day.fees, fee);
    day.net = add(day.net, net);
  }

  result(): ReconTotals {
    const countByType: Partial<Record<ReconRecordType, number>> = {};
    const amountByType: Partial<Record<ReconRecordType, MinorUnits>> = {};
    for (const type of RECON_RECORD_TYPES) {
      const count = this.count.get(type);
      if (count === undefined) continue;
      countByType[type] = count;
      amountByType[type] = this.amount.get(type) ?? 0;
    }
    const byDay = [...this.days.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, day]) => ({ date, ...day }));
    return {
      records: this.records,
      countByType,
      amountByType,
      feeTotal: this.fee,
      feeCharged: this.feeCharged,
      feeReturned: this.feeReturned,
      netAmount: this.net,
      netSettlement: this.settled,
      byDay,
    };
  }
}

/**
 * Totals of any records (one file's, several files', a filtered set).
 *
 * @example
 * const totals = await totalRecords(file); // file from openReconciliationFile
 */
export async function totalRecords(records: AsyncIterable<ReconRecord> | Iterable<ReconRecord>): Promise<ReconTotals> {
  const builder = new ReconTotalsBuilder();
  for await (const record of records) builder.add(record);
  return builder.result();
}
