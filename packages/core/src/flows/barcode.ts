import { checkHkdRange, type MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { AlipayConfigError } from "../errors";
import type { CancelResult, QueryResult, SpotPayResult, TradeDetails } from "../types";
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
export type BarcodePaymentResult =
  | ({ status: "paid" } & TradeDetails & { steps: BarcodeStep[] })
  | { status: "failed"; code: string; partnerTransId: string; steps: BarcodeStep[] }
  | { status: "canceled"; reversed: boolean; partnerTransId: string; steps: BarcodeStep[] }
  | { status: "unresolved"; partnerTransId: string; reason: string; steps: BarcodeStep[] };

/** What the flow did, in order, for logs and receipts. */
export type BarcodeStep =
  | { step: "pay"; outcome: string; code?: string }
  | { step: "query"; outcome: string; code?: string }
  | { step: "cancel"; outcome: string; retry?: boolean; code?: string };

const BUYER_CODE = /^(2[5-9]|30)[0-9]{14,22}$/;

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
  if (typeof input.buyerCode !== "string" || !BUYER_CODE.test(input.buyerCode)) {
    throw new AlipayConfigError("buyerCode: expected the wallet's 16-24 digit payment code starting with 25-30");
  }
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
    });
    steps.push({ step: "pay", outcome: pay.outcome.kind, code: "code" in pay.outcome ? pay.outcome.code : undefined });
  } catch (error) {
    if (!leavesOutcomeOpen(error)) throw error; // config or a definite refusal (is_success=F): nothing was charged
    steps.push({ step: "pay", outcome: "unknown", code: describe(error) });
  }
  if (pay?.outcome.kind === "paid") {
    const { reply: _reply, outcome: _outcome, ...details } = pay;
    return { status: "paid", ...details, steps };
  }
  if (pay?.outcome.kind === "failed") return { status: "failed", code: pay.outcome.code, partnerTransId: id, steps };

  return resolveOpenCharge(client, id, steps, recovery, sleep);
}

/**
 * Settles a charge whose outcome is open: query until paid, closed or out of time; then cancel.
 * Exported for the background sweep, which resumes unresolved charges.
 */
export async function resolveOpenCharge(
  client: AlipayHkClient,
  partnerTransId: string,
  steps: BarcodeStep[] = [],
  recovery: BarcodeRecovery = {},
  sleep = sleeper(recovery),
): Promise<BarcodePaymentResult> {
  const interval = recovery.pollIntervalMs ?? 5_000;
  const maxPoll = recovery.maxPollMs ?? 30_000;
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
      return { status: "paid", ...details, steps };
    }
    if (query?.found && query.outcome.kind === "closed") {
      return { status: "canceled", reversed: false, partnerTransId, steps };
    }
    // Waiting for the buyer, not found yet, or the query failed: wait while there is time.
    if (waited >= maxPoll) break;
    const pause = Math.min(interval, maxPoll - waited);
    await sleep(pause);
    waited += pause;
  }
  return cancelOpenCharge(client, partnerTransId, steps, recovery);
}

async function cancelOpenCharge(
  client: AlipayHkClient,
  partnerTransId: string,
  steps: BarcodeStep[],
  recovery: BarcodeRecovery,
): Promise<BarcodePaymentResult> {
  const sleep = sleeper(recovery);
  const attempts = recovery.cancelAttempts ?? 5;
  let lastReason = "cancel not attempted";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(recovery.cancelRetryMs ?? 2_000);
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
      return { status: "canceled", reversed: cancel.action === "refund", partnerTransId, steps };
    }
    lastReason = `cancel: ${"code" in cancel.outcome ? cancel.outcome.code : cancel.outcome.kind}`;
    if (!cancel.retry && cancel.outcome.kind === "failed") break;
  }
  return { status: "unresolved", partnerTransId, reason: lastReason, steps };
}
