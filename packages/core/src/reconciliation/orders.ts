import { readFile } from "node:fs/promises";
import { AmountError, parseAmountLenient, toMinorUnits, type MinorUnits } from "../amount";
import { CsvSyntaxError, readCsv } from "./csv";
import { quoteInput, ReconParseError } from "./errors";

/** Where a store order stands, in the store's own words reduced to what reconciliation needs. */
export type StoreOrderStatus = "paid" | "refunded" | "pending" | "canceled" | "failed";

/** Where a store refund stands. */
export type StoreRefundStatus = "succeeded" | "pending" | "failed";

/** An order as the store sees it; `id` is the `partner_trans_id` sent to Alipay. */
export interface StoreOrder {
  readonly id: string;
  readonly amount: MinorUnits;
  readonly currency: string;
  readonly status: StoreOrderStatus;
  /** Payment day `YYYY-MM-DD` in GMT+8 (Alipay's day), or `null` when unknown. */
  readonly date: string | null;
}

/** A refund as the store sees it; `id` is the `partner_refund_id` sent to Alipay. */
export interface StoreRefund {
  readonly id: string;
  /** The order refunded, when the export says. */
  readonly orderId: string | null;
  readonly amount: MinorUnits;
  readonly currency: string;
  readonly status: StoreRefundStatus;
  /** Refund day `YYYY-MM-DD` in GMT+8, or `null` when unknown. */
  readonly date: string | null;
}

/** What the store believes happened: the other side of a reconciliation. Adapters build one directly. */
export interface StoreLedger {
  readonly orders: readonly StoreOrder[];
  readonly refunds: readonly StoreRefund[];
}

const ORDER_STATUS: Readonly<Record<string, StoreOrderStatus>> = {
  paid: "paid",
  captured: "paid",
  completed: "paid",
  complete: "paid",
  succeeded: "paid",
  success: "paid",
  processing: "paid",
  "wc-processing": "paid",
  "wc-completed": "paid",
  refunded: "refunded",
  partially_refunded: "refunded",
  "partially-refunded": "refunded",
  "wc-refunded": "refunded",
  pending: "pending",
  "on-hold": "pending",
  awaiting: "pending",
  unpaid: "pending",
  not_paid: "pending",
  requires_action: "pending",
  canceled: "canceled",
  cancelled: "canceled",
  "wc-cancelled": "canceled",
  voided: "canceled",
  closed: "canceled",
  expired: "canceled",
  failed: "failed",
  "wc-failed": "failed",
};

const REFUND_STATUS: Readonly<Record<string, StoreRefundStatus>> = {
  succeeded: "succeeded",
  success: "succeeded",
  completed: "succeeded",
  refunded: "succeeded",
  done: "succeeded",
  pending: "pending",
  requested: "pending",
  processing: "pending",
  failed: "failed",
  canceled: "failed",
  cancelled: "failed",
};

/** Maps a store's order status word (Medusa, WooCommerce, a spreadsheet) to `StoreOrderStatus`. */
export function toStoreOrderStatus(status: string): StoreOrderStatus | null {
  return ORDER_STATUS[status.trim().toLowerCase()] ?? null;
}

/** Maps a store's refund status word to `StoreRefundStatus`. */
export function toStoreRefundStatus(status: string): StoreRefundStatus | null {
  return REFUND_STATUS[status.trim().toLowerCase()] ?? null;
}

/**
 * The GMT+8 day of a store timestamp: a date or a local time is taken as written (already Alipay's
 * day); a time with a zone (`Z`, `+01:00`) or epoch milliseconds is converted.
 */
export function toAlipayDay(value: string | number): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? gmt8Day(value) : null;
  const text = value.trim();
  const local = /^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(text);
  if (local) return local[1]!;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : gmt8Day(ms);
  }
  if (/^\d{10,13}$/.test(text)) return gmt8Day(text.length === 13 ? Number(text) : Number(text) * 1000);
  return null;
}

function gmt8Day(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/** A row of an export, whatever its format: column name → value. */
interface ExportRow {
  readonly line: number;
  readonly get: (field: string) => unknown;
  /** 1-based CSV column of a field, `null` for JSON. */
  readonly columnOf: (field: string) => number | null;
  /** How messages name the field: the CSV column name, or `row N, name` for JSON. */
  readonly label: (field: string) => string;
}

const COLUMN_ALIASES: Readonly<Record<string, readonly string[]>> = {
  type: ["type", "kind", "record_type"],
  id: ["id", "partner_trans_id", "partner_refund_id", "partner_transaction_id"],
  orderId: ["order_id", "orderId", "order"],
  amount: ["amount", "total"],
  amountMinor: ["amount_minor", "amount_cents", "amountMinor", "amountCents"],
  currency: ["currency", "currency_code"],
  status: ["status", "state"],
  date: ["date", "paid_at", "created_at", "refunded_at", "paidAt", "createdAt"],
};

/**
 * Reads a store export: CSV with a column-name row, or JSON (an array of rows, or
 * `{ orders: [...], refunds: [...] }`). Columns: `id`, `amount` (decimal like `12.30`; or
 * `amount_minor` in cents), `currency`, `status`, `date`; rows with `type` = `refund` are refunds
 * (their `id` is the `partner_refund_id`, `order_id` optional). Errors name the file, line and column.
 *
 * @example
 * const ledger = parseStoreLedger('id,amount,currency,status,date\norder-1,12.30,HKD,paid,2024-01-02\n', "orders.csv");
 */
export function parseStoreLedger(text: string, fileName: string, format: "csv" | "json" = /\.json$/i.test(fileName) ? "json" : "csv"): StoreLedger {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return format === "json" ? ledgerFromJson(body, fileName) : ledgerFromCsv(body, fileName);
}

/** Reads a store export file (see `parseStoreLedger`); `.json` is JSON, anything else CSV. */
export async function loadStoreLedger(path: string): Promise<StoreLedger> {
  return parseStoreLedger(await readFile(path, "utf8"), path);
}

function ledgerFromCsv(text: string, file: string): StoreLedger {
  let rows;
  try {
    rows = readCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ReconParseError(file, err.line, err.column, null, err.message);
    throw err;
  }
  const [head, ...records] = rows;
  if (head === undefined) return { orders: [], refunds: [] };
  const names = head.fields.map((name) => name.trim());
  const index = (field: string): number | null => {
    for (const alias of COLUMN_ALIASES[field] ?? [field]) {
      const at = names.findIndex((name) => name.toLowerCase() === alias.toLowerCase());
      if (at >= 0) return at;
    }
    return null;
  };
  for (const field of ["id", "currency", "status"]) {
    if (index(field) === null) throw new ReconParseError(file, head.line, null, null, `the column-name row lacks "${field}"; expected id, amount, currency, status, date`);
  }
  if (index("amount") === null && index("amountMinor") === null) {
    throw new ReconParseError(file, head.line, null, null, `the column-name row lacks "amount"; expected id, amount, currency, status, date`);
  }
  return collect(
    records.map((row) => ({
      line: row.line,
      get: (field: string) => {
        const at = index(field);
        return at === null ? undefined : row.fields[at];
      },
      columnOf: (field: string) => {
        const at = index(field);
        return at === null ? null : at + 1;
      },
      label: (field: string) => {
        const at = index(field);
        return at === null ? field : names[at]!;
      },
    })),
    file,
  );
}

function ledgerFromJson(text: string, file: string): StoreLedger {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReconParseError(file, 1, null, null, `expected JSON: ${(err as Error).message}`);
  }
  const rows: { row: Record<string, unknown>; kind?: "order" | "refund" }[] = [];
  if (Array.isArray(value)) {
    for (const row of value) rows.push({ row: row as Record<string, unknown> });
  } else if (value !== null && typeof value === "object" && (Array.isArray((value as { orders?: unknown }).orders) || Array.isArray((value as { refunds?: unknown }).refunds))) {
    const { orders = [], refunds = [] } = value as { orders?: unknown[]; refunds?: unknown[] };
    for (const row of orders) rows.push({ row: row as Record<string, unknown>, kind: "order" });
    for (const row of refunds) rows.push({ row: row as Record<string, unknown>, kind: "refund" });
  } else {
    throw new ReconParseError(file, 1, null, null, "expected a JSON array of rows or { orders: [...], refunds: [...] }");
  }
  return collect(
    rows.map(({ row, kind }, i) => {
      if (row === null || typeof row !== "object" || Array.isArray(row)) {
        throw new ReconParseError(file, i + 1, null, null, `row ${i + 1}: expected an object with id, amount, currency, status, date`);
      }
      return {
        line: i + 1,
        get: (field: string) => {
          if (field === "type" && kind !== undefined) return kind;
          for (const alias of COLUMN_ALIASES[field] ?? [field]) if (alias in row) return row[alias];
          return undefined;
        },
        columnOf: () => null,
        label: (field: string) => `row ${i + 1}, ${field}`,
      };
    }),
    file,
  );
}

function collect(rows: readonly ExportRow[], file: string): StoreLedger {
  const orders: StoreOrder[] = [];
  const refunds: StoreRefund[] = [];
  const fail = (row: ExportRow, field: string, reason: string): never => {
    throw new ReconParseError(file, row.line, row.columnOf(field), row.label(field), reason);
  };
  const text = (row: ExportRow, field: string, required: boolean): string => {
    const value = row.get(field);
    if (value === undefined || value === null || value === "") {
      if (required) fail(row, field, `expected a value for ${field}, got nothing`);
      return "";
    }
    if (typeof value !== "string" && typeof value !== "number") fail(row, field, `expected text, got ${quoteInput(JSON.stringify(value))}`);
    return String(value).trim();
  };
  for (const row of rows) {
    const kind = text(row, "type", false).toLowerCase() || "order";
    if (kind !== "order" && kind !== "refund") fail(row, "type", `expected "order" or "refund", got ${quoteInput(kind)}`);
    const id = text(row, "id", true);
    const amount = readAmount(row, fail);
    const currency = text(row, "currency", true).toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) fail(row, "currency", `expected a currency code like HKD, got ${quoteInput(currency)}`);
    const statusText = text(row, "status", true);
    const rawDate = row.get("date");
    let date: string | null = null;
    if (rawDate !== undefined && rawDate !== null && rawDate !== "") {
      date = typeof rawDate === "string" || typeof rawDate === "number" ? toAlipayDay(rawDate) : null;
      if (date === null) fail(row, "date", `expected a date like 2024-01-02 or an ISO time, got ${quoteInput(String(rawDate))}`);
    }
    if (kind === "order") {
      const status = toStoreOrderStatus(statusText);
      if (status === null) fail(row, "status", `expected an order status (paid, completed, processing, refunded, pending, canceled, failed…), got ${quoteInput(statusText)}`);
      orders.push({ id, amount, currency, status: status!, date });
    } else {
      const status = toStoreRefundStatus(statusText);
      if (status === null) fail(row, "status", `expected a refund status (succeeded, pending, failed…), got ${quoteInput(statusText)}`);
      refunds.push({ id, orderId: text(row, "orderId", false) || null, amount, currency, status: status!, date });
    }
  }
  return { orders, refunds };
}

function readAmount(row: ExportRow, fail: (row: ExportRow, field: string, reason: string) => never): MinorUnits {
  const minor = row.get("amountMinor");
  try {
    if (minor !== undefined && minor !== null && minor !== "") {
      if (typeof minor === "string" && !/^-?\d+$/.test(minor.trim())) {
        return fail(row, "amountMinor", `expected integer cents like 1230, got ${quoteInput(minor)}`);
      }
      return toMinorUnits(typeof minor === "string" ? Number(minor.trim()) : minor, "amount_minor", "minor");
    }
    const value = row.get("amount");
    if (typeof value === "string") return parseAmountLenient(value, "amount");
    return toMinorUnits(value, "amount");
  } catch (err) {
    if (err instanceof AmountError) return fail(row, err.field === "amount_minor" ? "amountMinor" : "amount", err.message);
    throw err;
  }
}
