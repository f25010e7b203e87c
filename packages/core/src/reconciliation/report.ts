import { formatAmount } from "../amount";
import type { ReconDiscrepancy, ReconMatchReport } from "./match";
import type { ReconRecord } from "./records";
import type { ReconDayTotal, ReconTotals } from "./totals";

/**
 * Renders records, totals and match reports for people (aligned tables) and programs (JSON with
 * snake_case keys and amounts as decimal strings, never floats).
 */

/** Column names of `recordToJson`, in order: the `recon parse --csv` header. */
export const RECORD_JSON_KEYS = [
  "file",
  "line",
  "kind",
  "type",
  "raw_type",
  "partner_transaction_id",
  "transaction_id",
  "amount",
  "fee",
  "settlement",
  "currency",
  "payment_time",
  "settlement_time",
  "status",
  "remark",
  "secondary_merchant_industry",
  "secondary_merchant_name",
  "secondary_merchant_id",
  "operator_name",
  "order_scene",
  "trans_currency",
  "trans_amount",
  "trans_forex_rate",
  "payment_inst",
] as const;

/** A record as JSON: snake_case keys, decimal-string amounts; `null` where the file kind has no such field. */
export type ReconRecordJson = Record<(typeof RECORD_JSON_KEYS)[number], string | number | null> & { extra?: Record<string, string> };

/** A record for `--json`/`--csv` output. */
export function recordToJson(record: ReconRecord): ReconRecordJson {
  const settlement = record.kind === "settlement";
  const json: ReconRecordJson = {
    file: record.file,
    line: record.line,
    kind: record.kind,
    type: record.type,
    raw_type: record.rawType,
    partner_transaction_id: record.partnerTransactionId,
    transaction_id: record.transactionId,
    amount: formatAmount(record.amount),
    fee: formatAmount(record.fee),
    settlement: settlement ? formatAmount(record.settlement) : null,
    currency: record.currency,
    payment_time: record.paymentTime,
    settlement_time: settlement ? record.settlementTime : null,
    status: settlement ? record.status : null,
    remark: record.remark,
    secondary_merchant_industry: record.secondaryMerchantIndustry,
    secondary_merchant_name: record.secondaryMerchantName,
    secondary_merchant_id: record.secondaryMerchantId,
    operator_name: record.operatorName,
    order_scene: record.orderScene,
    trans_currency: record.transCurrency,
    trans_amount: record.transAmount === null ? null : formatAmount(record.transAmount),
    trans_forex_rate: record.transForexRate,
    payment_inst: record.paymentInst,
  };
  if (record.extra !== null) json.extra = { ...record.extra };
  return json;
}

/** One line of the readable `recon parse` listing. */
export function recordToText(record: ReconRecord): string {
  return [
    pad(`${record.line}`, 7, true),
    pad(record.type, 9),
    pad(printable(record.partnerTransactionId), 24),
    pad(formatAmount(record.amount), 12, true),
    pad(formatAmount(record.fee), 9, true),
    pad(record.currency, 4),
    record.paymentTime,
  ].join(" ");
}

/** File and export text is shown to people on terminals: control characters never reach them raw. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The header of `recordToText` lines. */
export const RECORD_TEXT_HEADER = [
  pad("LINE", 7, true),
  pad("TYPE", 9),
  pad("PARTNER_ID", 24),
  pad("AMOUNT", 12, true),
  pad("FEE", 9, true),
  pad("CUR", 4),
  "PAYMENT_TIME",
].join(" ");

/**
 * Totals as JSON: `records`, `count_by_type`, `amount_by_type`, `fee_total` (charged − returned),
 * `fee_charged`, `fee_returned`, `net_amount`, `net_settlement`, `by_day`.
 */
export function totalsToJson(totals: ReconTotals) {
  return {
    records: totals.records,
    count_by_type: { ...totals.countByType },
    amount_by_type: Object.fromEntries(Object.entries(totals.amountByType).map(([type, cents]) => [type, formatAmount(cents)])),
    fee_total: formatAmount(totals.feeTotal),
    fee_charged: formatAmount(totals.feeCharged),
    fee_returned: formatAmount(totals.feeReturned),
    net_amount: formatAmount(totals.netAmount),
    net_settlement: formatAmount(totals.netSettlement),
    by_day: totals.byDay.map(dayToJson),
  };
}

function dayToJson(day: ReconDayTotal) {
  return {
    date: day.date,
    records: day.records,
    payments: formatAmount(day.payments),
    refunds: formatAmount(day.refunds),
    fees: formatAmount(day.fees),
    net: formatAmount(day.net),
  };
}

/** Totals as a readable table: per type, then per day. */
export function renderTotals(totals: ReconTotals): string {
  const types = Object.keys(totals.countByType) as (keyof typeof totals.countByType)[];
  const byType = table(
    ["TYPE", "COUNT", "AMOUNT"],
    types.map((type) => [type, String(totals.countByType[type]), formatAmount(totals.amountByType[type] ?? 0)]),
    [false, true, true],
  );
  const lines = [
    `Records: ${totals.records}`,
    byType,
    `Fees: ${formatAmount(totals.feeTotal)} (charged ${formatAmount(totals.feeCharged)}, returned ${formatAmount(totals.feeReturned)})`,
    `Net amount: ${formatAmount(totals.netAmount)}`,
    `Net settlement: ${formatAmount(totals.netSettlement)}`,
  ];
  if (totals.byDay.length > 0) lines.push("", "Per day", renderDays(totals.byDay));
  return `${lines.join("\n")}\n`;
}

function renderDays(days: readonly ReconDayTotal[]): string {
  return table(
    ["DATE", "RECORDS", "PAYMENTS", "REFUNDS", "FEES", "NET"],
    days.map((day) => [day.date, String(day.records), formatAmount(day.payments), formatAmount(day.refunds), formatAmount(day.fees), formatAmount(day.net)]),
    [false, true, true, true, true, true],
  );
}

const DISCREPANCY_GROUPS = [
  ["missingFromFile", "missing_from_file", "Paid in store, missing from the files"],
  ["orphans", "orphans", "At Alipay with no store order/refund"],
  ["amountMismatches", "amount_mismatches", "Amount mismatches"],
  ["refundsNotExecuted", "refunds_not_executed", "Refunds not executed by Alipay"],
  ["statusMismatches", "status_mismatches", "Status mismatches"],
  ["duplicates", "duplicates", "Duplicate records"],
] as const;

function discrepancyToJson(item: ReconDiscrepancy) {
  return {
    kind: item.kind,
    subject: item.subject,
    id: item.id,
    store_amount: item.storeAmount === null ? null : formatAmount(item.storeAmount),
    store_currency: item.storeCurrency,
    store_status: item.storeStatus,
    alipay_amount: item.alipayAmount === null ? null : formatAmount(item.alipayAmount),
    alipay_currency: item.alipayCurrency,
    alipay_type: item.alipayType,
    transaction_id: item.transactionId,
    where: item.where,
    detail: item.detail,
  };
}

/** The match report as JSON (what `recon match --json` prints). */
export function matchReportToJson(report: ReconMatchReport) {
  const json: Record<string, unknown> = {
    ok: report.discrepancyCount === 0,
    discrepancy_count: report.discrepancyCount,
    days: report.days,
    records: report.records,
    store_orders: report.storeOrders,
    store_refunds: report.storeRefunds,
    matched: report.matched.map((item) => ({
      subject: item.subject,
      id: item.id,
      amount: formatAmount(item.amount),
      currency: item.currency,
      alipay_state: item.alipayState,
      transaction_id: item.transactionId,
    })),
  };
  for (const [key, jsonKey] of DISCREPANCY_GROUPS) json[jsonKey] = report[key].map(discrepancyToJson);
  json.outside_period = { ...report.outsidePeriod };
  json.totals_source = report.totalsSource;
  json.fee_total = formatAmount(report.totals.feeTotal);
  json.net_settlement_by_day = report.totals.byDay.map(dayToJson);
  json.totals = totalsToJson(report.totals);
  return json;
}

/** The match report for people: counts, every discrepancy, fees, net settlement per day. */
export function renderMatchReport(report: ReconMatchReport): string {
  const days = report.days === "all" ? "all days" : report.days.length === 0 ? "no days" : `${report.days[0]}…${report.days[report.days.length - 1]}`;
  const lines = [
    `Reconciliation: ${report.records} Alipay records, ${report.storeOrders} store orders, ${report.storeRefunds} store refunds (${days})`,
    "",
    table(
      ["", "COUNT"],
      [
        ["Matched", String(report.matched.length)],
        ...DISCREPANCY_GROUPS.map(([key, , label]) => [label, String(report[key].length)]),
        ["Outside the files' days (not checked)", String(report.outsidePeriod.orders + report.outsidePeriod.refunds)],
      ],
      [false, true],
    ),
  ];
  const all = DISCREPANCY_GROUPS.flatMap(([key]) => report[key]);
  if (all.length > 0) {
    lines.push(
      "",
      `Discrepancies (${all.length})`,
      table(
        ["KIND", "ID", "STORE", "ALIPAY", "WHERE", "DETAIL"],
        all.map((item) => [
          item.kind,
          item.id,
          item.storeAmount === null ? "-" : formatAmount(item.storeAmount),
          item.alipayAmount === null ? "-" : formatAmount(item.alipayAmount),
          item.where ?? "-",
          item.detail,
        ]),
        [false, false, true, true, false, false],
      ),
    );
  } else {
    lines.push("", "No discrepancies.");
  }
  const { feeTotal, feeCharged, feeReturned } = report.totals;
  lines.push(
    "",
    `Fees (from the ${report.totalsSource ?? "—"} records): ${formatAmount(feeTotal)} (charged ${formatAmount(feeCharged)}, returned ${formatAmount(feeReturned)})`,
  );
  if (report.totals.byDay.length > 0) lines.push("", "Net settlement per day", renderDays(report.totals.byDay));
  return `${lines.join("\n")}\n`;
}

/** An aligned text table; `right[i]` right-aligns column i (numbers). */
export function table(head: readonly string[], cells: readonly (readonly string[])[], right: readonly boolean[]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = head.map((name, i) => Math.max(name.length, ...rows.map((row) => (row[i] ?? "").length)));
  const render = (row: readonly string[]) =>
    row
      .map((cell, i) => pad(cell, widths[i]!, right[i] ?? false))
      .join("  ")
      .trimEnd();
  return [render(head), ...rows.map(render)].join("\n");
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}
