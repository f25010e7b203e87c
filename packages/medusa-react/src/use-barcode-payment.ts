import { useCallback, useRef, useState } from "react";
import type { AlipayHkSessionLike, AlipayHkSessionStatus, AlipayHkStoreClient } from "./client";
import { describeAlipayHkFailure, normalizeBuyerCode } from "./messages";

export interface UseAlipayHkBarcodePaymentOptions {
  /** Reads the plugin's store route (see `createAlipayHkStoreClient`): the outcome of a refused charge. */
  client: AlipayHkStoreClient;
  /**
   * Creates the barcode session with the scanned code: the starter's
   * `initiatePaymentSession(cart, { provider_id: ALIPAYHK_BARCODE_PROVIDER_ID, data: { buyer_code } })`.
   * Return the session, or the payment collection / cart / response holding it.
   */
  createSession: (buyerCode: string) => Promise<unknown>;
  /**
   * Completes the cart, which charges the code (the starter's `placeOrder()`, or
   * `sdk.store.cart.complete(cart.id)`). A refused charge makes Medusa answer 400, so this throws;
   * the hook then reads why from the store route.
   */
  complete: () => Promise<unknown>;
}

export type AlipayHkBarcodePhase = "idle" | "charging" | "paid" | "failed" | "closed" | "unresolved" | "error";

export interface AlipayHkBarcodePaymentState {
  phase: AlipayHkBarcodePhase;
  /** What `complete()` returned when paid (e.g. `{ type: "order", order }`). */
  result: unknown;
  /** The outcome read from the store route after a refused or open charge. */
  outcome: AlipayHkSessionStatus | undefined;
  /** Alipay's failure code (phase `failed`), e.g. `BUYER_BALANCE_NOT_ENOUGH`. */
  failureCode: string | undefined;
  /** A sentence for the buyer or cashier (phases `failed` and `error`). */
  message: string | undefined;
  /** Charges a code: validates it, creates the session, completes the cart, reads the outcome. */
  submit: (input: string) => Promise<void>;
  /** Back to `idle` for another code. */
  reset: () => void;
}

function sessionIdIn(value: unknown): string | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as { id?: unknown; provider_id?: unknown; payment_sessions?: AlipayHkSessionLike[]; payment_collection?: unknown; cart?: unknown };
  if (typeof v.id === "string" && typeof v.provider_id === "string" && v.provider_id.startsWith("pp_alipayhk-barcode_")) return v.id;
  const fromList = v.payment_sessions?.find((s) => s.provider_id?.startsWith("pp_alipayhk-barcode_"))?.id;
  return fromList ?? sessionIdIn(v.payment_collection) ?? sessionIdIn(v.cart);
}

/**
 * In-store (POS) barcode payment as state. The outcome is always read back from Medusa, never
 * guessed: a refused code shows Alipay's reason in words; an open outcome says so and is never
 * charged again (the plugin's job resolves it).
 */
export function useAlipayHkBarcodePayment(options: UseAlipayHkBarcodePaymentOptions): AlipayHkBarcodePaymentState {
  const [phase, setPhase] = useState<AlipayHkBarcodePhase>("idle");
  const [result, setResult] = useState<unknown>();
  const [outcome, setOutcome] = useState<AlipayHkSessionStatus>();
  const [message, setMessage] = useState<string>();
  const latest = useRef(options);
  latest.current = options;
  const busy = useRef(false);

  const submit = useCallback(async (input: string) => {
    if (busy.current) return;
    const code = normalizeBuyerCode(input);
    setResult(undefined);
    setOutcome(undefined);
    if (!code) {
      setPhase("error");
      setMessage("Enter the 16 to 24 digit payment code from the buyer's AlipayHK or Alipay app (it starts with 25 to 30).");
      return;
    }
    busy.current = true;
    setPhase("charging");
    setMessage(undefined);
    let sessionId: string | undefined;
    try {
      sessionId = sessionIdIn(await latest.current.createSession(code));
      const completed = await latest.current.complete();
      const type = (completed as { type?: string } | undefined)?.type;
      if (type === "cart") throw new Error("the cart was not completed");
      setResult(completed);
      if (sessionId) setOutcome(await latest.current.client.getPaymentSession(sessionId).catch(() => undefined));
      setPhase("paid");
    } catch (error) {
      const read = sessionId ? await latest.current.client.getPaymentSession(sessionId).catch(() => undefined) : undefined;
      setOutcome(read);
      if (read?.trade_status === "failed") {
        setPhase("failed");
        setMessage(describeAlipayHkFailure(read.failure_code));
      } else if (read?.trade_status === "closed") {
        setPhase("closed");
      } else if (read?.trade_status === "unresolved" || read?.trade_status === "unknown") {
        setPhase("unresolved");
      } else if (read?.trade_status === "paid") {
        setPhase("error");
        setMessage(`The payment went through, but the order was not placed (${(error as Error)?.message}). Do not charge again: place the order again.`);
      } else {
        setPhase("error");
        setMessage((error as Error)?.message || "The payment could not be started.");
      }
    } finally {
      busy.current = false;
    }
  }, []);

  const reset = useCallback(() => {
    setPhase("idle");
    setResult(undefined);
    setOutcome(undefined);
    setMessage(undefined);
  }, []);

  return { phase, result, outcome, failureCode: outcome?.failure_code ?? undefined, message, submit, reset };
}
