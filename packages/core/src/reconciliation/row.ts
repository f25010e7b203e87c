import { AmountError, parseAmountLenient, type MinorUnits } from "../amount";
import { quoteInput } from "./errors";
import type { ReconField, ReconLayout } from "./layout";
import type { ReconRecord, ReconRecordType } from "./records";

/** What is wrong with one line, before the parser adds the file name and line number. */
export class RowProblem {
  constructor(
    /** 1-based column, `null` for the whole line. */
    readonly column: number | null,
    readonly reason: string,
  ) {}
}

const RECORD_TYPES: Readonly<Record<string, ReconRecordType>> = {
  PAYMENT: "PAYMENT",
  P: "PAYMENT",
  REVERSAL: "REVERSAL",
  REVERSE: "REVERSAL",
  REFUND: "REFUND",
  R: "REFUND",
  CANCEL: "CANCEL",
};

const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[ T]([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Turns the `|`-separated fields of one line into a record; throws `RowProblem`. */
export type RowReader = (fields: readonly string[], file: string, line: number) => ReconRecord;

/**
 * Builds the reader for one layout. Column positions are looked up once per file, so reading a
 * line is a fixed sequence of index reads and field checks.
 */
export function rowReader(layout: ReconLayout): RowReader {
  const at = (field: ReconField): number => layout.fields.indexOf(field);
  const width = layout.columns.length;
  const iPartner = at("partnerTransactionId");
  const iTransaction = at("transactionId");
  const iAmount = at("amount");
  const iFee = at("fee");
  const iSettlement = at("settlement");
  const iCurrency = at("currency");
  const iPaymentTime = at("paymentTime");
  const iSettlementTime = at("settlementTime");
  const iType = at("type");
  const iStatus = at("status");
  const iRemark = at("remark");
  const iIndustry = at("secondaryMerchantIndustry");
  const iMerchantName = at("secondaryMerchantName");
  const iMerchantId = at("secondaryMerchantId");
  const iOperator = at("operatorName");
  const iScene = at("orderScene");
  const iTransCurrency = at("transCurrency");
  const iTransAmount = at("transAmount");
  const iRate = at("transForexRate");
  const iInst = at("paymentInst");
  const extraColumns: number[] = [];
  layout.fields.forEach((field, i) => {
    if (field === null) extraColumns.push(i);
  });

  const text = (fields: readonly string[], i: number): string => (i < 0 ? "" : fields[i]!.trim());
  const required = (fields: readonly string[], i: number): string => {
    const value = fields[i]!.trim();
    if (value === "") throw new RowProblem(i + 1, "expected a value, got an empty field");
    return value;
  };
  const amount = (fields: readonly string[], i: number): MinorUnits => {
    try {
      return parseAmountLenient(fields[i]!, layout.columns[i]);
    } catch (err) {
      if (err instanceof AmountError) throw new RowProblem(i + 1, `expected a decimal amount like 100 or 100.00, got ${quoteInput(fields[i]!)}`);
      throw err;
    }
  };
  const optionalAmount = (fields: readonly string[], i: number): MinorUnits | null => (i < 0 || fields[i]!.trim() === "" ? null : amount(fields, i));
  const timestamp = (fields: readonly string[], i: number): string => {
    const value = fields[i]!.trim();
    if (!TIMESTAMP.test(value)) throw new RowProblem(i + 1, `expected a time YYYY-MM-DD HH:MM:SS, got ${quoteInput(fields[i]!)}`);
    return value;
  };

  return (fields, file, line) => {
    if (fields.length !== width) checkWidth(fields, width);
    const rawType = required(fields, iType);
    const type = RECORD_TYPES[rawType] ?? RECORD_TYPES[rawType.toUpperCase()];
    if (type === undefined) {
      throw new RowProblem(iType + 1, `expected PAYMENT, REVERSAL, REVERSE, REFUND, CANCEL, P or R, got ${quoteInput(rawType)}`);
    }
    const currency = required(fields, iCurrency);
    if (!CURRENCY.test(currency)) throw new RowProblem(iCurrency + 1, `expected a currency code like HKD, got ${quoteInput(currency)}`);
    const partnerTransactionId = required(fields, iPartner);
    const transactionId = required(fields, iTransaction);
    const amountValue = amount(fields, iAmount);
    const fee = optionalAmount(fields, iFee) ?? 0;
    const paymentTime = timestamp(fields, iPaymentTime);
    const transAmount = optionalAmount(fields, iTransAmount);
    const extra = extraColumns.length === 0 ? null : extraValues(layout, fields, extraColumns);
    // Two literals with the same key order (not a spread): records of a file share one shape.
    if (layout.kind === "transaction") {
      return {
        kind: "transaction",
        file,
        line,
        partnerTransactionId,
        transactionId,
        type,
        rawType,
        amount: amountValue,
        fee,
        currency,
        paymentTime,
        remark: text(fields, iRemark),
        secondaryMerchantIndustry: text(fields, iIndustry),
        secondaryMerchantName: text(fields, iMerchantName),
        secondaryMerchantId: text(fields, iMerchantId),
        operatorName: text(fields, iOperator),
        orderScene: text(fields, iScene),
        transCurrency: text(fields, iTransCurrency),
        transAmount,
        transForexRate: text(fields, iRate),
        paymentInst: text(fields, iInst),
        extra,
      };
    }
    const settlement = optionalAmount(fields, iSettlement) ?? Math.abs(amountValue) - Math.abs(fee);
    const settlementTime = iSettlementTime < 0 || fields[iSettlementTime]!.trim() === "" ? null : timestamp(fields, iSettlementTime);
    return {
      kind: "settlement",
      file,
      line,
      partnerTransactionId,
      transactionId,
      type,
      rawType,
      amount: amountValue,
      fee,
      currency,
      paymentTime,
      remark: text(fields, iRemark),
      secondaryMerchantIndustry: text(fields, iIndustry),
      secondaryMerchantName: text(fields, iMerchantName),
      secondaryMerchantId: text(fields, iMerchantId),
      operatorName: text(fields, iOperator),
      orderScene: text(fields, iScene),
      transCurrency: text(fields, iTransCurrency),
      transAmount,
      transForexRate: text(fields, iRate),
      paymentInst: text(fields, iInst),
      extra,
      settlement,
      settlementTime,
      status: text(fields, iStatus),
    };
  };
}

function checkWidth(fields: readonly string[], width: number): void {
  if (fields.length < width) {
    throw new RowProblem(fields.length + 1, `expected ${width} columns separated by |, got ${fields.length}`);
  }
  // A trailing "|" (empty extra fields) is harmless; anything else beyond the layout is not.
  for (let i = width; i < fields.length; i++) {
    if (fields[i]!.trim() !== "") throw new RowProblem(i + 1, `expected ${width} columns separated by |, got ${fields.length}`);
  }
}

function extraValues(layout: ReconLayout, fields: readonly string[], columns: readonly number[]): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const i of columns) extra[layout.columns[i]!] = fields[i]!.trim();
  return extra;
}
