/**
 * A seeded fault proxy between the adapter's Alipay client and the sandbox's `/gateway.do`.
 *
 * Per request a seeded PRNG picks one decision:
 * - `pass`: forwarded, the reply relayed;
 * - `delay`: forwarded only after the client's timeout has passed (the gateway processes a request
 *   the client already gave up on; the late reply goes to a closed socket);
 * - `drop`: forwarded, the gateway commits, then the client's connection is reset (no reply);
 * - `reset`: the connection is reset before anything is forwarded;
 * - `http502` / `http503`: answered by the proxy, nothing forwarded;
 * - `late_charge` (spot.pay only): held, the client times out; forwarded only once a cancel of the
 *   same id has passed through the proxy (answered by the gateway), so the charge lands after its
 *   cancel. If no cancel comes within `lateChargeMaxHoldMs`, it is forwarded then (logged as such).
 *
 * Every decision is logged (sequence, service, id, decision, outcome). The admin routes
 * (`/sandbox/...`) are not faulted: they are the buyer and the test, not the adapter.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** mulberry32: a small seeded PRNG, so a run's decisions repeat with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Decision = "pass" | "delay" | "drop" | "reset" | "http502" | "http503" | "late_charge";

export interface FaultRates {
  delay: number;
  drop: number;
  reset: number;
  http5xx: number;
  /** Share of `spot.pay` requests held until their id is cancelled. */
  lateCharge: number;
}

export const DEFAULT_RATES: FaultRates = { delay: 0.05, drop: 0.05, reset: 0.04, http5xx: 0.05, lateCharge: 0.15 };

export interface LogEntry {
  seq: number;
  at: number;
  service: string;
  id: string;
  decision: Decision;
  /** What happened after the decision: the gateway's HTTP status, "forwarded-after-cancel", ... */
  outcome?: string;
}

export interface FaultProxy {
  /** The gateway URL to give the adapter (`<proxy>/gateway.do`). */
  gatewayUrl: string;
  log: LogEntry[];
  /** Turns faults on or off (off: every request passes; held charges stay held until their cancel). */
  setEnabled(enabled: boolean): void;
  /** Counts of decisions by kind. */
  counts(): Record<string, number>;
  /** spot.pay requests still held (waiting for a cancel). */
  held(): number;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The sandbox's base URL (`http://127.0.0.1:port`). */
  target: string;
  seed: number;
  rates?: Partial<FaultRates>;
  /** The adapter's client timeout: `delay` waits this long plus `delayMarginMs` before forwarding. */
  clientTimeoutMs: number;
  delayMarginMs?: number;
  /** A held charge is forwarded this long after it arrived if no cancel of its id came (real ms). */
  lateChargeMaxHoldMs?: number;
  /** Only ids with this prefix are faulted (others pass). */
  idPrefix?: string;
}

function idOf(service: string, params: URLSearchParams): string {
  if (service.endsWith("spot.refund")) return params.get("partner_refund_id") ?? "";
  return params.get("partner_trans_id") ?? params.get("out_trade_no") ?? "";
}

const tradeIdOf = (params: URLSearchParams) => params.get("partner_trans_id") ?? params.get("out_trade_no") ?? "";

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const rates = { ...DEFAULT_RATES, ...options.rates };
  const random = prng(options.seed);
  const target = new URL(options.target);
  const log: LogEntry[] = [];
  let enabled = true;
  let seq = 0;
  /** Held spot.pay forwards by trade id, released when a cancel of the id was answered. */
  const heldCharges = new Map<string, Array<() => void>>();
  const sockets = new Set<import("node:net").Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  function decide(service: string, id: string): Decision {
    // Always draw the same number of values, so the sequence does not depend on which branch ran.
    const r = random();
    const l = random();
    if (!enabled || (options.idPrefix && !id.startsWith(options.idPrefix))) return "pass";
    if (service.endsWith("spot.pay") && l < rates.lateCharge) return "late_charge";
    let edge = rates.delay;
    if (r < edge) return "delay";
    if (r < (edge += rates.drop)) return "drop";
    if (r < (edge += rates.reset)) return "reset";
    if (r < (edge += rates.http5xx / 2)) return "http502";
    if (r < (edge += rates.http5xx / 2)) return "http503";
    return "pass";
  }

  /** Sends the request on to the sandbox; resolves with its status and body (or an error text). */
  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer } | { error: string }> {
    return new Promise((resolve) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host, connection: "close" } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", (e) => resolve({ error: e.message }));
        },
      );
      upstream.on("error", (e) => resolve({ error: e.message }));
      upstream.end(body);
    });
  }

  const relay = (res: ServerResponse, reply: Awaited<ReturnType<typeof forward>>) => {
    if (res.destroyed || res.writableEnded) return;
    if ("error" in reply) {
      res.socket?.destroy();
      return;
    }
    const headers = { ...reply.headers };
    delete headers["transfer-encoding"];
    delete headers.connection;
    res.writeHead(reply.status, headers).end(reply.body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://proxy");
      if (!url.pathname.endsWith("/gateway.do")) {
        void forward(req, body).then((reply) => relay(res, reply));
        return;
      }
      const params = new URLSearchParams(url.search);
      for (const [k, v] of new URLSearchParams(body.toString("latin1"))) if (!params.has(k)) params.set(k, v);
      const service = params.get("service") ?? "";
      const id = idOf(service, params);
      const decision = decide(service, id);
      const entry: LogEntry = { seq: ++seq, at: Date.now(), service, id, decision };
      log.push(entry);
      const done = (outcome: string) => (entry.outcome = outcome);
      const describe = (reply: Awaited<ReturnType<typeof forward>>) => ("error" in reply ? `error ${reply.error}` : `HTTP ${reply.status}`);

      switch (decision) {
        case "pass":
          void forward(req, body).then((reply) => {
            done(describe(reply));
            relay(res, reply);
            if (service.endsWith("acquire.cancel") && !("error" in reply)) releaseHeld(tradeIdOf(params));
          });
          return;
        case "delay":
          later(options.clientTimeoutMs + (options.delayMarginMs ?? 150), () => {
            if (closing) return;
            void forward(req, body).then((reply) => {
              done(`forwarded late: ${describe(reply)}`);
              relay(res, reply);
              if (service.endsWith("acquire.cancel") && !("error" in reply)) releaseHeld(tradeIdOf(params));
            });
          });
          return;
        case "drop":
          void forward(req, body).then((reply) => {
            done(`committed (${describe(reply)}), reply dropped`);
            res.socket?.destroy();
            if (service.endsWith("acquire.cancel") && !("error" in reply)) releaseHeld(tradeIdOf(params));
          });
          return;
        case "reset":
          done("reset before forwarding");
          res.socket?.destroy();
          return;
        case "http502":
        case "http503": {
          const status = decision === "http502" ? 502 : 503;
          done(`answered ${status}, not forwarded`);
          res.writeHead(status, { "content-type": "text/html" }).end(`<html><body><h1>${status}</h1></body></html>`);
          return;
        }
        case "late_charge": {
          const tradeId = tradeIdOf(params);
          let released = false;
          const release = (why: string) => {
            if (released || closing) return;
            released = true;
            void forward(req, body).then((reply) => {
              done(`${why}: ${describe(reply)}`);
              res.socket?.destroy();
            });
          };
          const list = heldCharges.get(tradeId) ?? [];
          list.push(() => release("forwarded after cancel"));
          heldCharges.set(tradeId, list);
          later(options.lateChargeMaxHoldMs ?? 20_000, () => {
            const waiting = heldCharges.get(tradeId);
            if (waiting) heldCharges.delete(tradeId);
            release("forwarded without a cancel (hold ended)");
          });
          return;
        }
      }
    });
  });

  function releaseHeld(tradeId: string): void {
    const waiting = heldCharges.get(tradeId);
    if (!waiting) return;
    heldCharges.delete(tradeId);
    // The cancel was answered; the delayed charge arrives a moment later.
    later(50, () => {
      for (const fn of waiting) fn();
    });
  }

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    gatewayUrl: `http://127.0.0.1:${port}/gateway.do`,
    log,
    setEnabled: (value) => (enabled = value),
    counts: () => {
      const counts: Record<string, number> = {};
      for (const e of log) counts[e.decision] = (counts[e.decision] ?? 0) + 1;
      return counts;
    },
    held: () => [...heldCharges.values()].reduce((n, l) => n + l.length, 0),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
