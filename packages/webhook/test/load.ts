/**
 * A platform under load for the crash and multi-instance tests: each order is created, paid and
 * partly refunded, every request retried with its idempotency key until it is answered, as a
 * real platform's webhook sender would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { ApiClient, ApiResponse, RunningSandbox } from "./helpers";
import { buyerPays } from "./helpers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the load met: requests that found the service down, and answers that said "try again". */
export const loadStats = { networkErrors: 0, retriedAnswers: 0, chargesInProgress: 0 };

/** Sends until answered (network errors, 5xx and 409 "in progress" are retried with the same key). */
export async function untilAnswered(send: () => Promise<ApiResponse>, deadlineMs = 90_000): Promise<ApiResponse> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const response = await send();
      const retry = response.status >= 500 || (response.status === 409 && response.body?.error?.code === "idempotency_in_progress");
      if (!retry) return response;
      loadStats.retriedAnswers += 1;
    } catch {
      loadStats.networkErrors += 1;
      // the service is down (killed) or restarting
    }
    if (Date.now() > deadline) throw new Error("no answer before the deadline");
    await sleep(100);
  }
}

export interface FlowOptions {
  /** Each call picks the instance to talk to (two instances share the work). */
  api: () => ApiClient;
  sandbox: RunningSandbox;
}

/** One order's life: create (QR or barcode), pay, refund 1.00. Returns once every request was answered. */
export async function orderFlow(orderId: string, mode: "qr" | "barcode", options: FlowOptions): Promise<void> {
  const body =
    mode === "qr"
      ? { order_id: orderId, amount: "10.00", mode, description: `Load ${orderId}` }
      : { order_id: orderId, amount: "10.00", mode, buyer_code: "280000000000000001" };
  const created = await untilAnswered(() => options.api().signed("POST", "/v1/orders", body, { id: `create-${orderId}` }));
  // 409 charge_in_progress: the instance that took the charge died; the sweep settles it.
  if (created.body?.error?.code === "charge_in_progress") loadStats.chargesInProgress += 1;
  if (created.status >= 300 && created.body?.error?.code !== "charge_in_progress")
    throw new Error(`create ${orderId}: ${created.status} ${JSON.stringify(created.body)}`);
  if (mode === "qr") {
    for (let attempt = 0; ; attempt++) {
      try {
        await buyerPays(options.sandbox, orderId);
        break;
      } catch (error) {
        // Already paid (a retry after the reply was lost) is fine.
        if (/TRADE_SUCCESS|already|not waiting|TRADE_STATUS/i.test((error as Error).message)) break;
        if (attempt > 50) throw error;
        await sleep(100);
      }
    }
  }
  for (;;) {
    const order = await untilAnswered(() => options.api().get(`/v1/orders/${orderId}`));
    if (order.body.status === "paid") break;
    if (order.body.status !== "pending") throw new Error(`order ${orderId} is ${order.body.status}`);
    await sleep(100);
  }
  const refund = await untilAnswered(() =>
    options.api().signed("POST", "/v1/returns", { order_id: orderId, return_id: "r1", amount: "1.00" }, { id: `refund-${orderId}` }),
  );
  if (refund.status >= 300) throw new Error(`refund ${orderId}: ${refund.status} ${JSON.stringify(refund.body)}`);
}

/** Runs `count` order flows on `workers` concurrent lanes; `onDone` after each. */
export async function runLoad(
  count: number,
  workers: number,
  prefix: string,
  options: FlowOptions,
  onDone: (done: number) => void = () => {},
): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < ids.length) {
        const i = next++;
        await orderFlow(ids[i]!, i % 3 === 2 ? "barcode" : "qr", options);
        onDone(++done);
      }
    }),
  );
  return ids;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** The built service as its own process (`alipayhk-webhook`), as it runs in production. */
export function spawnService(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
