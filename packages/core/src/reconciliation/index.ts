/**
 * `@alipayhk/core/reconciliation`: streaming parser of Alipay HK transaction and settlement files
 * (spec §5), totals, matching against the store's orders and refunds, and the report renderings
 * the `alipayhk recon` command (in `@alipayhk/cli`) prints.
 */
export { openReconciliationFile } from "./parse";
export type { ReconAlipayErrorFile, ReconFile, ReconNoDataFile, ReconParseOptions, ReconRecordsFile } from "./parse";
export type { ReconEncoding, ReconSource } from "./lines";
export { UnsupportedEncodingError } from "./lines";
export { ReconParseError } from "./errors";
export type { ReconFileHeader, ReconFileName } from "./header";
export { readReconFileName } from "./header";
export { ACQUIRER_17_COLUMNS, HK_SETTLEMENT_COLUMNS, HK_TRANSACTION_COLUMNS } from "./layout";
export type { ReconField, ReconLayout, ReconLayoutName } from "./layout";
export { RECON_RECORD_TYPES, recordDay, recordDirection, signedAmount, signedFee, signedNet } from "./records";
export type { ReconFileKind, ReconRecord, ReconRecordBase, ReconRecordType, SettlementRecord, TransactionRecord } from "./records";
export { ReconTotalsBuilder, totalRecords } from "./totals";
export type { ReconDayTotal, ReconTotals } from "./totals";
export { loadStoreLedger, parseStoreLedger, toAlipayDay, toStoreOrderStatus, toStoreRefundStatus } from "./orders";
export type { StoreLedger, StoreOrder, StoreOrderStatus, StoreRefund, StoreRefundStatus } from "./orders";
export { matchReconciliation } from "./match";
export { matchReconciliationStream } from "./match-stream";
export type { ReconLedgerSource, ReconMatchSink, ReconMatchSummary, ReconStreamMatchOptions } from "./match-stream";
export type { AlipayState, ReconDiscrepancy, ReconDiscrepancyKind, ReconMatch, ReconMatchOptions, ReconMatchReport } from "./match";
export { matchReportToJson, RECORD_JSON_KEYS, RECORD_TEXT_HEADER, recordToJson, recordToText, renderMatchReport, renderTotals, totalsToJson } from "./report";
export type { ReconRecordJson } from "./report";
export { csvLine } from "./csv";
