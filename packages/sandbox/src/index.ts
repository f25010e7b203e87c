/**
 * @alipayhk/sandbox: a stateful local Alipay HK gateway for tests, demos and development, like
 * stripe-mock but with a ledger, notifications, a wallet page, faults, a movable clock and
 * reconciliation files.
 */
export { startSandbox, type RunningSandbox, type SandboxPartnerInfo } from "./server";
export { SandboxRefusalError, type OpenQrTradeInput } from "./admin/actions";
export { DEFAULT_MD5_KEY, DEFAULT_PARTNER, type SandboxOptions, type SandboxPartnerOptions } from "./options";
export { MAGIC_BUYER_CODES, BUYERS, type BarcodeBehaviour, type MagicBuyerCode } from "./buyers";
export type { FaultRule, FaultSpec } from "./faults";
export type { NotificationAttempt, NotificationRecord } from "./notifier";
export type { SandboxTrade } from "./views";
export type { Wallet } from "./ledger";
export { DEFAULT_NOTIFY_SCHEDULE_MS } from "./notifier";
export { runSandboxCommand, parseSandboxArgs, sandboxBanner, SANDBOX_USAGE, DEFAULT_CLI_PORT, type CommandIo } from "./cli";
export { SETTLEMENT_COLUMNS, TRANSACTION_COLUMNS } from "./files";
