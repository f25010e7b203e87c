import { checkHkdRange, type MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { AlipayConfigError } from "../errors";
import { paidOrMismatch, type TradeClosedEvent, type TradeEvent, type TradeEventSource } from "../events";
import { DEFAULT_POLICY } from "../policy";
import { checkSignedText } from "../text";
import type { CancelResult, QueryResult, SecondaryMerchant, SpotPayResult, TradeDetails } from "../types";
import { checkPartnerTransId } from "./qr";
import { leavesOutcomeOpen, sleeper, type RetryTiming } from "./retry";

export interface PayByBarcodeInput {
  /** A fresh id per charge attempt; never reused for a new charge after an unknown outcome. */
  partnerTransId: string;
  amount: MinorUnits;
  /** The code scanned from the buyer's wallet. */
  buyerCode: string;
  transName: string;
  memo?: string;
  /** Acquirers/ISVs: the secondary merchant and store this charge is for (sent as `extend_info`). */
  secondaryMerchant?: SecondaryMerchant;
}

export interface BarcodeRecovery extends RetryTiming {
  /** Query interval while the outcome is open or the buyer confirms in-app. Default 5 s. */
  pollIntervalMs?: number;
  /** How long to keep querying before cancelling. Default 30 s. */
  maxPollMs?: number;
  /** Cancel attempts while the gateway answers `retry_flag=Y` or the outcome is open. Default 5. */
  cancelAttempts?: number;
  /** Wait between cancel attempts. Default 2 s. */
  cancelRetryMs?: number;
  /**
   * After cancelling an id the gateway did not know, how long beyond the client's timeout a
   * delayed charge request could still arrive (the id is watched until then). Default 5 min.
   */
  lateChargeMarginMs?: number;
}

/**
 * The resolved result of a barcode charge:
 * - `paid`: the buyer was charged (details attached);
 * - `failed`: definitely not charged (code attached, e.g. BUYER_BALANCE_NOT_ENOUGH);
 * - `canceled`: the outcome was open and the trade was cancelled, so no money is kept
 *   (`reversed` tells whether a charge existed and was reversed);
 * - `unresolved`: neither query nor cancel could settle it now: keep the trade open and let the
 *   sweep resolve it. Never shown to the cashier as paid or as failed.
 */
export type BarcodePaymentResult = (
  | ({ status: "paid" } & TradeDetails)
  | { status: "failed"; code: string; partnerTransId: string }
  | { status: "canceled"; reversed: boolean; partnerTransId: string; watchUntil?: Date }
  | { status: "unresolved"; partnerTransId: string; reason: string }
) & {
  steps: BarcodeStep[];
  /**
   * The verified facts to apply (one event): `trade.paid` (or `trade.mismatch` when the reported
   * amount differs), `trade.failed`, `trade.closed` (with `watchUntil` when a late charge could
   * still arrive), or `trade.open`.
   */
  events: TradeEvent[];
};

/** What the flow did, in order, for logs and receipts. */
export type BarcodeStep =
  | { step: "pay"; outcome: string; code?: string }
  | { step: "query"; outcome: string; code?: string }
  | { step: "cancel"; outcome: string; retry?: boolean; code?: string };

/** A wallet's payment code as Alipay HK takes it: 16-24 digits starting with 25-30 (spec §2.1). */
export const BUYER_CODE_PATTERN = /^(2[5-9]|30)[0-9]{14,22}$/;

/** Whether `code` is a well-formed wallet payment code ({@link BUYER_CODE_PATTERN}). */
export function isBuyerCode(code: string): boolean {
  return BUYER_CODE_PATTERN.test(code);
}

function describe(error: unknown): string {
  const e = error as { type?: string; code?: string; message?: string };
  return e.code ?? e.type ?? e.message ?? "error";
}

/**
 * Charges a buyer's wallet code with the documented recovery (spec §2.1): an unknown outcome or
 * a timeout is resolved by querying while the trade waits for the buyer, then by cancelling
 * (retrying while `retry_flag=Y`). It never sends a second charge for the same order.
 */
export async function payByBarcode(client: AlipayHkClient, input: PayByBarcodeInput, recovery: BarcodeRecovery = {}): Promise<BarcodePaymentResult> {
  checkPartnerTransId(input.partnerTransId);
  checkHkdRange(input.amount, "amount");
  if (typeof input.buyerCode !== "string" || !isBuyerCode(input.buyerCode)) {
    throw new AlipayConfigError("buyerCode: expected the wallet's 16-24 digit payment code starting with 25-30");
  }
  checkSignedText(input.transName, "transName");
  if (input.memo !== undefined) checkSignedText(input.memo, "memo");
  const sleep = sleeper(recovery);
  const steps: BarcodeStep[] = [];
  const id = input.partnerTransId;

  let pay: SpotPayResult | undefined;
  try {
    pay = await client.spotPay({
      partnerTransId: id,
      amount: input.amount,
      buyerIdentityCode: input.buyerCode,
      transName: input.transName,
      memo: input.memo,
      extendInfo: input.secondaryMerchant,
    });
    steps.push({ step: "pay", outcome: pay.outcome.kind, code: "code" in pay.outcome ? pay.outcome.code : undefined });
  } catch (error) {
    if (!leavesOutcomeOpen(error)) throw error; // config or a definite refusal (is_success=F): nothing was charged
    steps.push({ step: "pay", outcome: "unknown", code: describe(error) });
  }
  if (pay?.outcome.kind === "paid") {
    const { reply: _reply, outcome: _outcome, ...details } = pay;
    return { status: "paid", ...details, steps, events: [paidOrMismatch({ partnerTransId: id, amount: input.amount }, details, "barcode")] };
  }
  if (pay?.outcome.kind === "failed") {
    return {
      status: "failed",
      code: pay.outcome.code,
      partnerTransId: id,
      steps,
      events: [{ type: "trade.failed", partnerTransId: id, source: "barcode", code: pay.outcome.code }],
    };
  }

  return resolveOpenCharge(client, { partnerTransId: id, amount: input.amount }, steps, recovery, sleep, "barcode");
}

/**
 * Settles a charge whose outcome is open: query until paid, closed or out of time; then cancel.
 * Exported for the background sweep, which resumes unresolved charges.
 */
export async function resolveOpenCharge(
  client: AlipayHkClient,
  trade: { partnerTransId: string; amount: MinorUnits },
  steps: BarcodeStep[] = [],
  recovery: BarcodeRecovery = {},
  sleep = sleeper(recovery),
  source: TradeEventSource = "sweep",
): Promise<BarcodePaymentResult> {
  const { partnerTransId } = trade;
  const interval = recovery.pollIntervalMs ?? DEFAULT_POLICY.barcodePollIntervalMs;
  const maxPoll = recovery.maxPollMs ?? DEFAULT_POLICY.barcodeMaxPollMs;
  let waited = 0;
  for (;;) {
    let query: QueryResult | undefined;
    try {
      query = await client.query({ partnerTransId });
      steps.push({ step: "query", outcome: query.found ? query.outcome.kind : "not_found", code: "code" in query.outcome ? query.outcome.code : undefined });
    } catch (error) {
      steps.push({ step: "query", outcome: "error", code: describe(error) });
    }
    if (query?.outcome.kind === "paid") {
      const { reply: _r, outcome: _o, found: _f, status: _s, ...details } = query;
      return { status: "paid", ...details, steps, events: [paidOrMismatch(trade, details, source)] };
    }
    if (query?.found && query.outcome.kind === "closed") {
      return { status: "canceled", reversed: false, partnerTransId, steps, events: [closed(partnerTransId, source, false)] };
    }
    // Waiting for the buyer, not found yet, or the query failed: wait while there is time.
    if (waited >= maxPoll) break;
    const pause = Math.min(interval, maxPoll - waited);
    await sleep(pause);
    waited += pause;
  }
  return cancelOpenCharge(client, partnerTransId, steps, recovery, source);
}

function closed(partnerTransId: string, source: TradeEventSource, reversed: boolean, watchUntil?: Date): TradeClosedEvent {
  return { type: "trade.closed", partnerTransId, source, reversed, cause: "outcome_unknown", ...(watchUntil ? { watchUntil } : {}) };
}

async function cancelOpenCharge(
  client: AlipayHkClient,
  partnerTransId: string,
  steps: BarcodeStep[],
  recovery: BarcodeRecovery,
  source: TradeEventSource,
): Promise<BarcodePaymentResult> {
  const sleep = sleeper(recovery);
  const attempts = recovery.cancelAttempts ?? DEFAULT_POLICY.cancelAttempts;
  let lastReason = "cancel not attempted";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(recovery.cancelRetryMs ?? DEFAULT_POLICY.cancelRetryMs);
    let cancel: CancelResult;
    try {
      cancel = await client.cancel({ outTradeNo: partnerTransId });
    } catch (error) {
      steps.push({ step: "cancel", outcome: "error", code: describe(error) });
      lastReason = `cancel: ${describe(error)}`;
      if (leavesOutcomeOpen(error)) continue;
      break;
    }
    steps.push({ step: "cancel", outcome: cancel.outcome.kind, retry: cancel.retry, code: "code" in cancel.outcome ? cancel.outcome.code : undefined });
    if (cancel.outcome.kind === "succeeded") {
      const reversed = cancel.action === "refund";
      // No trade_no and nothing reversed: the gateway did not know the id when it cancelled, so the
      // charge request may still be on its way. Watch the id until it can no longer arrive.
      const watchUntil =
        !reversed && !cancel.tradeNo
          ? new Date(client.clock.now().getTime() + client.timeoutMs + (recovery.lateChargeMarginMs ?? DEFAULT_POLICY.lateChargeMarginMs))
          : undefined;
      return {
        status: "canceled",
        reversed,
        partnerTransId,
        steps,
        ...(watchUntil ? { watchUntil } : {}),
        events: [closed(partnerTransId, source, reversed, watchUntil)],
      };
    }
    lastReason = `cancel: ${"code" in cancel.outcome ? cancel.outcome.code : cancel.outcome.kind}`;
    if (!cancel.retry && cancel.outcome.kind === "failed") break;
  }
  return { status: "unresolved", partnerTransId, reason: lastReason, steps, events: [{ type: "trade.open", partnerTransId, source, reason: lastReason }] };
}
