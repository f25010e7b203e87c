import { useCallback, useEffect, useRef, useState } from "react";
import type { AlipayHkSessionLike, AlipayHkSessionStatus, AlipayHkStoreClient } from "./client";

export interface UseAlipayHkQrPaymentOptions {
  /** Reads the plugin's store route (see `createAlipayHkStoreClient`). */
  client: AlipayHkStoreClient;
  /** The cart's Alipay HK QR payment session (`findAlipayHkSession(cart)`). */
  session: AlipayHkSessionLike | null | undefined;
  /**
   * Called once when Alipay reports the QR paid: complete the cart here (the starter's
   * `placeOrder()`, or `sdk.store.cart.complete(cart.id)`). If it throws, the buyer sees the
   * error and can retry; the payment is safe (the notification places the order too).
   */
  onPaid: (status: AlipayHkSessionStatus) => Promise<unknown> | unknown;
  /**
   * A fresh QR after the old one expired: create a new session (the starter's
   * `initiatePaymentSession(cart, { provider_id })`). Return the new session if you have it;
   * otherwise pass it in through `session` when the cart reloads.
   */
  onRenew?: () => Promise<unknown>;
  /** How often to ask the store route while the QR is shown. Default 2500 ms. */
  pollIntervalMs?: number;
}

export type AlipayHkQrPhase = "loading" | "waiting" | "expired" | "renewing" | "completing" | "completed" | "error";

export interface AlipayHkQrPaymentState {
  phase: AlipayHkQrPhase;
  /** The session being shown. */
  sessionId: string | undefined;
  /** The QR as an SVG data URL for `<img src>`. */
  qrImage: string | undefined;
  /** The QR payload; on a phone, a link to it opens the wallet. */
  qrCode: string | undefined;
  expiresAt: Date | undefined;
  /** Milliseconds until the QR expires (0 once it has). */
  msLeft: number;
  /** The last poll failed (network, server): polling goes on. */
  connectionProblem: boolean;
  /** Set in phase `error`. */
  error: Error | undefined;
  /** What failed: loading the QR, completing the cart after payment, or getting a new QR. */
  errorKind: "load" | "complete" | "renew" | undefined;
  /** Asks `onRenew` for a new QR (phase `expired`, or any time). */
  renew: () => void;
  /** After an error: completes the cart again (if paid) or reloads the QR. */
  retry: () => void;
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * The QR checkout as state: shows the session's QR, counts down to its expiry, polls the store route,
 * calls `onPaid` (once) when Alipay reports the trade paid, and turns `expired` when the trade is
 * closed or its time is up, from where `renew()` gets a new QR. Free of any framework: it drops into
 * Next.js (client component), Vite or Remix alike.
 */
export function useAlipayHkQrPayment(options: UseAlipayHkQrPaymentOptions): AlipayHkQrPaymentState {
  const { client, pollIntervalMs = 2500 } = options;
  const [session, setSession] = useState<AlipayHkSessionLike | null | undefined>(options.session);
  const [phase, setPhase] = useState<AlipayHkQrPhase>("loading");
  const [qrImage, setQrImage] = useState<string>();
  const [status, setStatus] = useState<AlipayHkSessionStatus>();
  const [error, setError] = useState<Error>();
  const [errorKind, setErrorKind] = useState<"load" | "complete" | "renew">();
  const [connectionProblem, setConnectionProblem] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const [attempt, setAttempt] = useState(0);
  const callbacks = useRef({ onPaid: options.onPaid, onRenew: options.onRenew });
  callbacks.current = { onPaid: options.onPaid, onRenew: options.onRenew };
  const paidHandled = useRef<string | undefined>(undefined);

  // A new session from the parent (the cart reloaded) replaces the one shown.
  const propId = options.session?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new session id from the parent replaces the one shown
  useEffect(() => {
    if (propId && propId !== session?.id) setSession(options.session);
  }, [propId]);

  const sessionId = session?.id;
  const expiresAt = status?.expires_at ?? str(session?.data?.expires_at);
  const qrCode = status?.qr_code ?? str(session?.data?.qr_code);

  const complete = useCallback(async (paid: AlipayHkSessionStatus) => {
    setPhase("completing");
    setError(undefined);
    try {
      await callbacks.current.onPaid(paid);
      setPhase("completed");
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      setErrorKind("complete");
      setPhase("error");
    }
  }, []);

  // Load the QR, then poll until the trade is paid or closed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new attempt (retry) restarts the polling
  useEffect(() => {
    if (!sessionId) return;
    let stopped = false;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first = true;
    setPhase("loading");
    setQrImage(undefined);
    setStatus(undefined);
    setError(undefined);
    const tick = async () => {
      try {
        const next = await client.getPaymentSession(sessionId, { qrImage: first, signal: controller.signal });
        if (stopped) return;
        setConnectionProblem(false);
        setStatus(next);
        if (first && next.qr_image) setQrImage(next.qr_image);
        first = false;
        if (next.trade_status === "paid") {
          if (paidHandled.current !== sessionId) {
            paidHandled.current = sessionId;
            await complete(next);
          }
          return;
        }
        if (next.trade_status === "closed") {
          setPhase("expired");
          return;
        }
        setPhase((p) => (p === "loading" ? "waiting" : p));
      } catch (e) {
        if (stopped || (e as Error).name === "AbortError") return;
        if (first) {
          setError(e instanceof Error ? e : new Error(String(e)));
          setErrorKind("load");
          setPhase("error");
          return;
        }
        setConnectionProblem(true);
      }
      if (!stopped) timer = setTimeout(tick, pollIntervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [client, sessionId, pollIntervalMs, attempt, complete]);

  // The countdown.
  useEffect(() => {
    if (!expiresAt || phase !== "waiting") return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    setNow(Date.now());
    return () => clearInterval(timer);
  }, [expiresAt, phase]);

  const expiry = expiresAt ? new Date(expiresAt) : undefined;
  const msLeft = expiry ? Math.max(0, expiry.getTime() - now) : 0;
  // Out of time on this device: shown as expired while the poll (which keeps going) confirms it.
  const shownPhase: AlipayHkQrPhase = phase === "waiting" && expiry && msLeft === 0 ? "expired" : phase;

  const renew = useCallback(() => {
    const onRenew = callbacks.current.onRenew;
    if (!onRenew) return;
    setPhase("renewing");
    setError(undefined);
    Promise.resolve(onRenew()).then(
      (fresh) => {
        const next = fresh as AlipayHkSessionLike | undefined;
        if (next && typeof next === "object" && typeof next.id === "string") setSession(next);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e : new Error(String(e)));
        setErrorKind("renew");
        setPhase("error");
      },
    );
  }, []);

  const retry = useCallback(() => {
    if (status?.trade_status === "paid") void complete(status);
    else setAttempt((n) => n + 1);
  }, [status, complete]);

  return { phase: shownPhase, sessionId, qrImage, qrCode, expiresAt: expiry, msLeft, connectionProblem, error, errorKind, renew, retry };
}
