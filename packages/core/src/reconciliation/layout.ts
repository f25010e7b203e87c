import type { ReconFileKind } from "./records";

/** The record fields a column can feed. */
export type ReconField =
  | "partnerTransactionId"
  | "transactionId"
  | "amount"
  | "fee"
  | "settlement"
  | "currency"
  | "paymentTime"
  | "settlementTime"
  | "type"
  | "status"
  | "remark"
  | "secondaryMerchantIndustry"
  | "secondaryMerchantName"
  | "secondaryMerchantId"
  | "operatorName"
  | "orderScene"
  | "transCurrency"
  | "transAmount"
  | "transForexRate"
  | "paymentInst";

/**
 * Column names seen in Alipay's documents, samples and HK acquirer files (spec §5), per field.
 * Matching ignores case, spaces and underscores, so `Trans_Currency` and `trans_currency` are one.
 */
const ALIASES: Record<ReconField, readonly string[]> = {
  partnerTransactionId: ["Partner_transaction_id", "partner_trans_id", "Partner_refund_id"],
  transactionId: ["Transaction_id", "Alipay_transaction_id", "trade_no"],
  amount: ["Transaction_amount", "Amount", "Gross_amount"],
  fee: ["Charge_amount", "Fee"],
  settlement: ["Settlement", "Settlement_amount"],
  currency: ["Currency"],
  paymentTime: ["Payment_time", "Time", "Transaction_time"],
  settlementTime: ["Settlement_time"],
  type: ["Transaction_type", "Type"],
  status: ["Status"],
  remark: ["Remark", "Remarks"],
  secondaryMerchantIndustry: ["Secondary_merchant_industry", "MCC"],
  secondaryMerchantName: ["Secondary_merchant_name", "Merchant"],
  secondaryMerchantId: ["Secondary_merchant_id", "Merchant_ID"],
  operatorName: ["Operator_name", "Store_name"],
  orderScene: ["Order_scene", "Product"],
  transCurrency: ["Trans_currency"],
  transAmount: ["Trans_amount"],
  transForexRate: ["Trans_forex_rate"],
  paymentInst: ["payment_inst", "Issue", "Wallet"],
};

/** Fields without which a line is not a usable record. */
export const REQUIRED_FIELDS: readonly ReconField[] = ["partnerTransactionId", "transactionId", "amount", "currency", "paymentTime", "type"];

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

const FIELD_BY_NAME = new Map<string, ReconField>();
for (const [field, names] of Object.entries(ALIASES) as [ReconField, readonly string[]][]) {
  for (const name of names) FIELD_BY_NAME.set(normaliseName(name), field);
}

/** The layouts the parser recognises (spec §0 "Reconciliation files"). */
export type ReconLayoutName = "global-transaction" | "hk-transaction" | "global-settlement" | "hk-settlement" | "acquirer-17";

/** How the columns of one file map to record fields; decided once per file, from its column-name line. */
export interface ReconLayout {
  readonly name: ReconLayoutName;
  readonly kind: ReconFileKind;
  /** True for the 17-column acquirer file, which has neither a header nor a column-name line. */
  readonly headerless: boolean;
  /** Column names as written in the file (or as documented, for the headerless layout). */
  readonly columns: readonly string[];
  /** The field each column feeds, `null` for a column kept in `extra`. */
  readonly fields: readonly (ReconField | null)[];
}

/**
 * The HK acquirer's PID file (spec §5.4): 17 columns, no header, no column names, wallet last.
 */
export const ACQUIRER_17_COLUMNS: readonly string[] = [
  "Partner_transaction_id",
  "Transaction_id",
  "Amount",
  "Fee",
  "Currency",
  "Payment_time",
  "Type",
  "Settlement_time",
  "MCC",
  "Merchant",
  "Merchant_ID",
  "Remarks",
  "Product",
  "Trans_Currency",
  "Trans_Amount",
  "Trans_forex_rate",
  "Issue",
];

/**
 * The HK transaction file's 17 columns, as the HK "Transaction file format" page lists them and
 * the sandbox writes them, for writers (fixtures, the benchmark generator).
 */
export const HK_TRANSACTION_COLUMNS: readonly string[] = [
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
];

/** The HK settlement file's 20 columns (HK "Settlement file format"; no header line), as the sandbox writes them. */
export const HK_SETTLEMENT_COLUMNS: readonly string[] = [
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
];

/** The outcome of reading a line as a column-name line. */
export type ColumnLineResult =
  | { readonly ok: true; readonly layout: ReconLayout }
  | { readonly ok: false; readonly reason: string; readonly column: number | null };

/**
 * Reads a column-name line. A line is one when it names at least the partner and Alipay
 * transaction ids; it is usable when it also names every required field, each once.
 */
export function readColumnLine(fieldsText: readonly string[]): ColumnLineResult | null {
  const columns = trimTrailingEmpty(fieldsText.map((name) => name.trim()));
  const fields = columns.map((name) => FIELD_BY_NAME.get(normaliseName(name)) ?? null);
  if (!fields.includes("partnerTransactionId") || !fields.includes("transactionId")) return null;
  const seen = new Set<ReconField>();
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (field === null || field === undefined) continue;
    if (seen.has(field)) {
      return { ok: false, column: i + 1, reason: `column ${JSON.stringify(columns[i])} repeats field ${field}; expected each column once` };
    }
    seen.add(field);
  }
  const missing = REQUIRED_FIELDS.filter((field) => !seen.has(field));
  if (missing.length > 0) {
    const names = missing.map((field) => ALIASES[field][0]).join(", ");
    return { ok: false, column: null, reason: `the column-name line lacks ${names}; expected the columns of spec §5.2/§5.3` };
  }
  const kind: ReconFileKind = seen.has("settlement") || seen.has("settlementTime") || seen.has("status") ? "settlement" : "transaction";
  const hk = seen.has("paymentInst");
  const name: ReconLayoutName = kind === "settlement" ? (hk ? "hk-settlement" : "global-settlement") : hk ? "hk-transaction" : "global-transaction";
  return { ok: true, layout: { name, kind, headerless: false, columns, fields } };
}

/** The 17-column acquirer layout, used when the first line is a 17-field record without a header. */
export function acquirerLayout(): ReconLayout {
  return {
    name: "acquirer-17",
    kind: "settlement",
    headerless: true,
    columns: ACQUIRER_17_COLUMNS,
    fields: ACQUIRER_17_COLUMNS.map((name) => FIELD_BY_NAME.get(normaliseName(name)) ?? null),
  };
}

/** Whether a first line is a record of the headerless acquirer layout: 17 fields (a trailing `|` allowed). */
export function looksLikeAcquirerRecord(fieldsText: readonly string[]): boolean {
  const n = fieldsText.length;
  const want = ACQUIRER_17_COLUMNS.length;
  return n === want || (n === want + 1 && fieldsText[want]!.trim() === "");
}

function trimTrailingEmpty<T extends string>(values: readonly T[]): T[] {
  let end = values.length;
  while (end > 0 && values[end - 1]!.trim() === "") end--;
  return values.slice(0, end);
}
