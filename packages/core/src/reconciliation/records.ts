import type { MinorUnits } from "../amount";

/**
 * The four things that happen to money in an Alipay HK file. Files spell them several ways
 * (`REVERSE`, `P`, `R`); records carry the spelling as written in `rawType` and this normalised one
 * in `type`.
 */
export type ReconRecordType = "PAYMENT" | "REVERSAL" | "REFUND" | "CANCEL";

/** Every record type, in report order. */
export const RECON_RECORD_TYPES: readonly ReconRecordType[] = ["PAYMENT", "REVERSAL", "REFUND", "CANCEL"];

/** Which file a record came from: the transaction file (day T) or the settlement file (day S). */
export type ReconFileKind = "transaction" | "settlement";

/** What both files say about one money movement. */
export interface ReconRecordBase {
  /** The file name used in messages. */
  readonly file: string;
  /** 1-based line in the file. */
  readonly line: number;
  /** `partner_trans_id` for payments, reversals and cancels; `partner_refund_id` for refunds. */
  readonly partnerTransactionId: string;
  /** Alipay's transaction id. */
  readonly transactionId: string;
  readonly type: ReconRecordType;
  /** The type exactly as written (`REVERSE`, `P`, `R`, …). */
  readonly rawType: string;
  /** Amount in the settlement currency, as written (files write refunds as positive amounts). */
  readonly amount: MinorUnits;
  /** Alipay's fee (`Charge_amount` / `Fee`), as written; 0 when the column is empty. */
  readonly fee: MinorUnits;
  /** Settlement currency, e.g. `HKD`. */
  readonly currency: string;
  /** `YYYY-MM-DD HH:MM:SS`, GMT+8, as written. */
  readonly paymentTime: string;
  readonly remark: string;
  /** MCC of the secondary merchant. */
  readonly secondaryMerchantIndustry: string;
  readonly secondaryMerchantName: string;
  readonly secondaryMerchantId: string;
  /** Store name. */
  readonly operatorName: string;
  /** `shopQrCode` for Transaction QR Code; empty for Barcode. */
  readonly orderScene: string;
  /** Pricing currency. */
  readonly transCurrency: string;
  /** Amount in the pricing currency; `null` when the file leaves it out. */
  readonly transAmount: MinorUnits | null;
  /** Pricing→settlement rate, kept as the exact text. */
  readonly transForexRate: string;
  /** Wallet (`ALIPAYHK`, `ALIPAYCN`), from `payment_inst` or `Issue`; empty when absent. */
  readonly paymentInst: string;
  /** Columns this parser does not know (e.g. the global `Rmb_amount`), by their name in the file. */
  readonly extra: Readonly<Record<string, string>> | null;
}

/** One line of `PID_transaction_YYYYMMDD.txt`: a payment, reversal, cancel or refund made on day T. */
export interface TransactionRecord extends ReconRecordBase {
  readonly kind: "transaction";
}

/** One line of `PID_settlement_YYYYMMDD.txt`: money Alipay settled (or took back) on day S. */
export interface SettlementRecord extends ReconRecordBase {
  readonly kind: "settlement";
  /**
   * Net amount settled, as written; files without a `Settlement` column (the headerless acquirer
   * layout) get `|amount| − |fee|` so every settlement record has one.
   */
  readonly settlement: MinorUnits;
  /** `YYYY-MM-DD HH:MM:SS` (GMT+8), or `null` when the file leaves it empty. */
  readonly settlementTime: string | null;
  /** `L` (liquidated) in Alipay's files; empty when absent. */
  readonly status: string;
}

/** A record of either file. */
export type ReconRecord = TransactionRecord | SettlementRecord;

/**
 * +1 for money coming to the merchant, −1 for money going back. The files write amounts as positive
 * numbers and let the type give the sign (spec §5.2); going by the type (and the magnitude of the
 * amount) also gives the right answer for a file that writes refunds as negative amounts.
 */
export function recordDirection(type: ReconRecordType): 1 | -1 {
  return type === "PAYMENT" ? 1 : -1;
}

/** The amount with its direction applied: payments positive, refunds/reversals/cancels negative. */
export function signedAmount(record: ReconRecord): MinorUnits {
  return recordDirection(record.type) * Math.abs(record.amount);
}

/** The fee with its direction applied: charged on payments, returned on refunds/reversals/cancels. */
export function signedFee(record: ReconRecord): MinorUnits {
  return recordDirection(record.type) * Math.abs(record.fee);
}

/**
 * What the record moves into (positive) or out of (negative) the merchant's account: the
 * settlement column for settlement records, amount − fee for transaction records.
 */
export function signedNet(record: ReconRecord): MinorUnits {
  const direction = recordDirection(record.type);
  if (record.kind === "settlement") return direction * Math.abs(record.settlement);
  return direction * (Math.abs(record.amount) - Math.abs(record.fee));
}

/**
 * The GMT+8 day a record counts for in per-day totals: the settlement day for settlement records
 * (when the file gives one), else the payment day.
 */
export function recordDay(record: ReconRecord): string {
  if (record.kind === "settlement" && record.settlementTime) return record.settlementTime.slice(0, 10);
  return record.paymentTime.slice(0, 10);
}
