import { readFile } from "node:fs/promises";
import { AmountError, parseAmountLenient, toMinorUnits, type MinorUnits } from "../amount";
import { csvRows, CsvSyntaxError, type CsvRow } from "./csv";
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

/**
 * Reads the rows of an export, whatever its format: a value per field, the CSV column of a field
 * (`null` for JSON) and how messages name the field. One reader per export, not per row: an
 * export can hold a million orders.
 */
interface ExportReader<Row> {
  get(row: Row, field: string): unknown;
  line(row: Row, index: number): number;
  columnOf(field: string): number | null;
  label(row: Row, index: number, field: string): string;
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
  const rows = csvRows(text);
  let head: CsvRow | undefined;
  try {
    head = rows.next().value ?? undefined;
  } catch (err) {
    throw csvError(err, file);
  }
  if (head === undefined) return { orders: [], refunds: [] };
  const names = head.fields.map((name) => name.trim());
  const indexes = new Map<string, number>();
  for (const [field, aliases] of Object.entries(COLUMN_ALIASES)) {
    const at = aliases.map((alias) => names.findIndex((name) => name.toLowerCase() === alias.toLowerCase())).find((i) => i >= 0);
    if (at !== undefined) indexes.set(field, at);
  }
  for (const field of ["id", "currency", "status"]) {
    if (!indexes.has(field))
      throw new ReconParseError(file, head.line, null, null, `the column-name row lacks "${field}"; expected id, amount, currency, status, date`);
  }
  if (!indexes.has("amount") && !indexes.has("amountMinor")) {
    throw new ReconParseError(file, head.line, null, null, `the column-name row lacks "amount"; expected id, amount, currency, status, date`);
  }
  const reader: ExportReader<CsvRow> = {
    get: (row, field) => {
      const at = indexes.get(field);
      return at === undefined ? undefined : row.fields[at];
    },
    line: (row) => row.line,
    columnOf: (field) => {
      const at = indexes.get(field);
      return at === undefined ? null : at + 1;
    },
    label: (_row, _index, field) => {
      const at = indexes.get(field);
      return at === undefined ? field : names[at]!;
    },
  };
  try {
    return collect(rows, reader, file);
  } catch (err) {
    throw csvError(err, file);
  }
}

function csvError(err: unknown, file: string): unknown {
  return err instanceof CsvSyntaxError ? new ReconParseError(file, err.line, err.column, null, err.message) : err;
}

interface JsonRow {
  readonly row: Record<string, unknown>;
  readonly kind?: "order" | "refund";
}

function ledgerFromJson(text: string, file: string): StoreLedger {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReconParseError(file, 1, null, null, `expected JSON: ${(err as Error).message}`);
  }
  const rows: JsonRow[] = [];
  const grouped = value as { orders?: unknown; refunds?: unknown } | null;
  if (Array.isArray(value)) {
    for (const row of value) rows.push({ row: row as Record<string, unknown> });
  } else if (grouped !== null && typeof grouped === "object" && (Array.isArray(grouped.orders) || Array.isArray(grouped.refunds))) {
    for (const row of (grouped.orders as unknown[] | undefined) ?? []) rows.push({ row: row as Record<string, unknown>, kind: "order" });
    for (const row of (grouped.refunds as unknown[] | undefined) ?? []) rows.push({ row: row as Record<string, unknown>, kind: "refund" });
  } else {
    throw new ReconParseError(file, 1, null, null, "expected a JSON array of rows or { orders: [...], refunds: [...] }");
  }
  rows.forEach(({ row }, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new ReconParseError(file, i + 1, null, null, `row ${i + 1}: expected an object with id, amount, currency, status, date`);
    }
  });
  const reader: ExportReader<JsonRow> = {
    get: ({ row, kind }, field) => {
      if (field === "type" && kind !== undefined) return kind;
      for (const alias of COLUMN_ALIASES[field] ?? [field]) if (alias in row) return row[alias];
      return undefined;
    },
    // JSON has no useful line numbers: rows are numbered from 1.
    line: (_row, index) => index + 1,
    columnOf: () => null,
    label: (_row, index, field) => `row ${index + 1}, ${field}`,
  };
  return collect(rows, reader, file);
}

function collect<Row>(rows: Iterable<Row>, reader: ExportReader<Row>, file: string): StoreLedger {
  const orders: StoreOrder[] = [];
  const refunds: StoreRefund[] = [];
  let index = -1;
  for (const row of rows) {
    index++;
    const fail = (field: string, reason: string): never => {
      throw new ReconParseError(file, reader.line(row, index), reader.columnOf(field), reader.label(row, index, field), reason);
    };
    const text = (field: string, required: boolean): string => {
      const value = reader.get(row, field);
      if (value === undefined || value === null || value === "") {
        if (required) fail(field, `expected a value for ${field}, got nothing`);
        return "";
      }
      if (typeof value !== "string" && typeof value !== "number") fail(field, `expected text, got ${quoteInput(JSON.stringify(value))}`);
      return String(value).trim();
    };
    const kind = text("type", false).toLowerCase() || "order";
    if (kind !== "order" && kind !== "refund") fail("type", `expected "order" or "refund", got ${quoteInput(kind)}`);
    const id = text("id", true);
    const amount = readAmount(reader.get(row, "amountMinor"), reader.get(row, "amount"), fail);
    const currency = text("currency", true).toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) fail("currency", `expected a currency code like HKD, got ${quoteInput(currency)}`);
    const statusText = text("status", true);
    const rawDate = reader.get(row, "date");
    let date: string | null = null;
    if (rawDate !== undefined && rawDate !== null && rawDate !== "") {
      date = typeof rawDate === "string" || typeof rawDate === "number" ? toAlipayDay(rawDate) : null;
      if (date === null) fail("date", `expected a date like 2024-01-02 or an ISO time, got ${quoteInput(String(rawDate))}`);
    }
    if (kind === "order") {
      const status = toStoreOrderStatus(statusText);
      if (status === null)
        fail("status", `expected an order status (paid, completed, processing, refunded, pending, canceled, failed…), got ${quoteInput(statusText)}`);
      orders.push({ id, amount, currency, status: status!, date });
    } else {
      const status = toStoreRefundStatus(statusText);
      if (status === null) fail("status", `expected a refund status (succeeded, pending, failed…), got ${quoteInput(statusText)}`);
      refunds.push({ id, orderId: text("orderId", false) || null, amount, currency, status: status!, date });
    }
  }
  return { orders, refunds };
}

function readAmount(minor: unknown, value: unknown, fail: (field: string, reason: string) => never): MinorUnits {
  try {
    if (minor !== undefined && minor !== null && minor !== "") {
      if (typeof minor === "string" && !/^-?\d+$/.test(minor.trim())) {
        return fail("amountMinor", `expected integer cents like 1230, got ${quoteInput(minor)}`);
      }
      return toMinorUnits(typeof minor === "string" ? Number(minor.trim()) : minor, "amount_minor", "minor");
    }
    if (typeof value === "string") return parseAmountLenient(value, "amount");
    return toMinorUnits(value, "amount");
  } catch (err) {
    if (err instanceof AmountError) return fail(err.field === "amount_minor" ? "amountMinor" : "amount", err.message);
    throw err;
  }
}
