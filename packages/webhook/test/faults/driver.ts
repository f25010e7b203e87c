/**
 * The order generator and driver of the fault suite: a seeded mix of QR and barcode orders with
 * partial returns and cancels, sent through the adapter's HTTP API as a platform would (every
 * request retried with its idempotency key until it is answered), and QR orders paid by the buyer
 * through the sandbox's admin API.
 */
import type { ApiClient, ApiResponse } from "../helpers";
import { prng } from "./proxy";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Buyer codes of the sandbox (README "Magic buyer codes") the mix uses, with what they do. */
export const BUYER_CODES = {
  paid: "280000000000000001",
  paidCn: "280000000000000002",
  declinedBalance: "280000000000000003",
  declinedInst: "280000000000000004",
  userPaying: "280000000000000005",
  unknownCharged: "280000000000000006",
  unknownNotCharged: "280000000000000007",
  noReplyCharged: "280000000000000008",
  cancelRetry: "280000000000000009",
} as const;

export type PlanKind = "qr_pay" | "qr_cancel_unpaid" | "qr_pay_cancel" | `barcode_${keyof typeof BUYER_CODES}`;

export interface OrderPlan {
  orderId: string;
  kind: PlanKind;
  /** Cents. */
  amount: number;
  /** Partial returns to try once the order is paid (cents each). */
  returns: number[];
  /** Cancel the order at the end of its flow (after the returns). */
  cancelAfter: boolean;
  /** Send the first return twice at once (two requests, two idempotency keys, one return id). */
  duplicateReturn: boolean;
}

const WEIGHTS: Array<[PlanKind, number]> = [
  ["qr_pay", 30],
  ["qr_cancel_unpaid", 8],
  ["qr_pay_cancel", 5],
  ["barcode_paid", 16],
  ["barcode_paidCn", 4],
  ["barcode_declinedBalance", 5],
  ["barcode_declinedInst", 3],
  ["barcode_userPaying", 7],
  ["barcode_unknownCharged", 6],
  ["barcode_unknownNotCharged", 5],
  ["barcode_noReplyCharged", 6],
  ["barcode_cancelRetry", 5],
];

/** A seeded mix of `count` orders; the first paid QR order carries the duplicate return. */
export function generateOrders(count: number, seed: number, prefix: string): OrderPlan[] {
  const random = prng(seed ^ 0x5eed);
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const plans: OrderPlan[] = [];
  for (let i = 0; i < count; i++) {
    let pick = random() * total;
    let kind: PlanKind = "qr_pay";
    for (const [k, w] of WEIGHTS) {
      if ((pick -= w) < 0) {
        kind = k;
        break;
      }
    }
    const amount = 100 + Math.floor(random() * 49_900);
    const returnCount = kind === "qr_cancel_unpaid" ? 0 : Math.floor(random() * 3);
    const first = 1 + Math.floor(random() * Math.floor(amount / 3));
    const second = 1 + Math.floor(random() * Math.floor(amount / 3));
    const returns = [first, second].slice(0, returnCount);
    const cancelAfter = kind === "qr_pay_cancel" || kind === "qr_cancel_unpaid" || random() < 0.08;
    plans.push({ orderId: `${prefix}-${String(i).padStart(4, "0")}`, kind, amount, returns, cancelAfter, duplicateReturn: false });
  }
  const dup = plans.find((p) => p.kind === "qr_pay");
  if (dup) {
    dup.duplicateReturn = true;
    dup.cancelAfter = false;
    if (dup.returns.length === 0) dup.returns = [Math.max(1, Math.floor(dup.amount / 4))];
  }
  return plans;
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

export interface DriverStats {
  requests: number;
  /** Requests that met no service (killed, restarting) and were sent again. */
  networkRetries: number;
  /** Answers of 5xx or 409 "in progress" that were sent again. */
  retriedAnswers: number;
  /** Final answers by route and status, e.g. `POST /v1/returns 201`. */
  answers: Record<string, number>;
  /** Flows that ended early on an error, e.g. a request still answered 5xx at its deadline (logged; the reconciler still checks the order). */
  flowErrors: string[];
  /** The two answers of the duplicate return. */
  duplicateReturnAnswers: Array<{ status: number; body: unknown }>;
}

export interface DriverOptions {
  /** Picks the instance for each request (two instances share the work). */
  api: () => ApiClient;
  /** The sandbox's base URL (admin API: the buyer pays). */
  sandboxUrl: string;
  lanes?: number;
  /** After each finished order. */
  onDone?: (done: number) => void;
  /** Longest a request is retried before the flow gives up (ms). */
  requestDeadlineMs?: number;
}

export async function driveOrders(plans: OrderPlan[], options: DriverOptions): Promise<DriverStats> {
  const stats: DriverStats = { requests: 0, networkRetries: 0, retriedAnswers: 0, answers: {}, flowErrors: [], duplicateReturnAnswers: [] };
  const deadlineMs = options.requestDeadlineMs ?? 15_000;

  async function send(route: string, call: () => Promise<ApiResponse>): Promise<ApiResponse> {
    const deadline = Date.now() + deadlineMs;
    let last = "no connection";
    for (;;) {
      stats.requests += 1;
      try {
        const response = await call();
        // 409 charge_in_progress is an answer (the charge is the sweep's now); idempotency_in_progress is not.
        const retry = response.status >= 500 || (response.status === 409 && response.body?.error?.code === "idempotency_in_progress");
        if (!retry) {
          const key = `${route} ${response.status}`;
          stats.answers[key] = (stats.answers[key] ?? 0) + 1;
          return response;
        }
        stats.retriedAnswers += 1;
        last = `HTTP ${response.status} ${response.body?.error?.code ?? ""}`.trim();
        const key = `${route} ${response.status} (retried)`;
        stats.answers[key] = (stats.answers[key] ?? 0) + 1;
      } catch {
        stats.networkRetries += 1;
      }
      if (Date.now() > deadline) throw new Error(`${route}: no final answer within ${deadlineMs} ms (last: ${last})`);
      await sleep(100);
    }
  }

  async function buyerPays(orderId: string): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt++) {
      const response = await fetch(`${options.sandboxUrl}/sandbox/trades/${encodeURIComponent(orderId)}/pay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ wallet: "ALIPAYHK" }),
      });
      if (response.ok || response.status === 409) return; // 409: not payable (already paid, or closed)
      await sleep(100);
    }
  }

  async function waitStatus(orderId: string, ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const order = await send("GET /v1/orders/{id}", () => options.api().get(`/v1/orders/${encodeURIComponent(orderId)}`));
      const status = order.body?.status as string;
      if (status !== "pending" || Date.now() > deadline) return status;
      await sleep(100);
    }
  }

  async function flow(plan: OrderPlan): Promise<void> {
    const { orderId } = plan;
    const body: Record<string, unknown> = { order_id: orderId, amount: money(plan.amount), description: `Fault suite ${orderId}` };
    if (plan.kind.startsWith("qr_")) body.mode = "qr";
    else {
      body.mode = "barcode";
      body.buyer_code = BUYER_CODES[plan.kind.slice("barcode_".length) as keyof typeof BUYER_CODES];
    }
    const created = await send("POST /v1/orders", () => options.api().bearer("POST", "/v1/orders", body, { idempotencyKey: `create-${orderId}` }));
    if (created.status >= 400 && created.body?.error?.code !== "charge_in_progress") return;
    if (plan.kind === "qr_pay" || plan.kind === "qr_pay_cancel") await buyerPays(orderId);
    // The duplicate return needs a paid order: its payment may take a few notification retries to confirm.
    const status = plan.kind === "qr_cancel_unpaid" ? "pending" : await waitStatus(orderId, plan.duplicateReturn ? 30_000 : 3_000);
    if (status === "paid") {
      for (const [index, amount] of plan.returns.entries()) {
        const ret = { order_id: orderId, return_id: `ret-${index + 1}`, amount: money(amount), reason: "fault suite return" };
        if (plan.duplicateReturn && index === 0) {
          // One return id, sent twice at the same moment under two idempotency keys.
          const both = await Promise.all(
            ["a", "b"].map((k) =>
              send("POST /v1/returns", () => options.api().bearer("POST", "/v1/returns", ret, { idempotencyKey: `return-${orderId}-${index}-${k}` })),
            ),
          );
          stats.duplicateReturnAnswers.push(...both.map((r) => ({ status: r.status, body: r.body })));
          continue;
        }
        await send("POST /v1/returns", () => options.api().bearer("POST", "/v1/returns", ret, { idempotencyKey: `return-${orderId}-${index}` }));
      }
    }
    if (plan.cancelAfter) {
      await send("POST /v1/orders/{id}/cancel", () =>
        options.api().bearer("POST", `/v1/orders/${encodeURIComponent(orderId)}/cancel`, {}, { idempotencyKey: `cancel-${orderId}` }),
      );
    }
  }

  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: options.lanes ?? 16 }, async () => {
      while (next < plans.length) {
        const plan = plans[next++]!;
        try {
          await flow(plan);
        } catch (error) {
          stats.flowErrors.push(`${plan.orderId}: ${(error as Error).message}`);
        }
        options.onDone?.(++done);
      }
    }),
  );
  return stats;
}
