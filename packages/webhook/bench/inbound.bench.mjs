/**
 * `pnpm bench`: signed inbound requests per second and latency on loopback (autocannon), with the
 * embedded store (SQLite) and with PostgreSQL, next to a bare node:http route in the same run.
 * Every request is a new order signed per Standard Webhooks (a fresh webhook-id, so nothing is
 * answered from the idempotency store); QR orders include the precreate at the sandbox.
 * Afterwards every acknowledged order is looked up in the store: none may be missing.
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres; "off" to skip),
 * BENCH_COUNTED_ORDERS (default 200: orders counted for round trips, one at a time and then
 * BENCH_CONNECTIONS at a time), BENCH_ONLY ("qr" to skip the barcode runs and the bare route),
 * BENCH_READS ("off" to skip the signed reads), BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof"; then `node bench/profile-top.mjs <file>`).
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import pg from "pg";
import { startPgCounter, startProcess, startService, stop } from "./processes.mjs";

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const COUNTED_ORDERS = Number(process.env.BENCH_COUNTED_ORDERS ?? 200);
const QR_ONLY = process.env.BENCH_ONLY === "qr";
/** "off": no signed-read runs (so a profile of the service holds the order run alone). */
const READS = process.env.BENCH_READS !== "off";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

function signer(whsec) {
  const key = Buffer.from(whsec.slice("whsec_".length), "base64");
  return (id, timestamp, body) => `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs autocannon with one signed, unique order per request; returns figures and the acknowledged ids. */
async function load(url, whsec, prefix, mode) {
  const sign = signer(whsec);
  let next = 0;
  const acknowledged = [];
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: "POST",
        path: "/v1/orders",
        setupRequest(request, context) {
          const orderId = `${prefix}-${next++}`;
          const body = JSON.stringify(
            mode === "qr"
              ? { order_id: orderId, amount: "12.30", mode: "qr", description: "Bench" }
              : { order_id: orderId, amount: "12.30", mode: "barcode", buyer_code: "280000000000000001" },
          );
          const timestamp = Math.floor(Date.now() / 1000);
          const id = `msg_${orderId}`;
          context.orderId = orderId;
          request.body = body;
          request.headers = {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": sign(id, timestamp, body),
          };
          return request;
        },
        onResponse(status, body, context) {
          if (status >= 200 && status < 300) acknowledged.push(context.orderId);
          else if (process.env.BENCH_DEBUG && Math.random() < 0.01) console.error(status, body.slice(0, 200));
        },
      },
    ],
  });
  return figures(result, acknowledged);
}

/** Signed reads of existing orders (auth and a store read, no gateway call). */
async function loadReads(url, whsec, orderIds) {
  const sign = signer(whsec);
  let next = 0;
  const answered = [];
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: "GET",
        setupRequest(request) {
          const n = next++;
          const timestamp = Math.floor(Date.now() / 1000);
          const id = `msg_read_${n}`;
          request.path = `/v1/orders/${orderIds[n % orderIds.length]}`;
          request.headers = { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": sign(id, timestamp, "") };
          return request;
        },
        onResponse(status) {
          if (status === 200) answered.push(1);
        },
      },
    ],
  });
  return { ...figures(result, answered), acknowledged: [], reads: answered.length };
}

function figures(result, acknowledged) {
  return {
    rps: acknowledged.length / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    acknowledged,
  };
}

/** CPU seconds (user + system) a child process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function missing(acknowledged, stored) {
  const have = new Set(stored);
  return acknowledged.filter((id) => !have.has(id)).length;
}

async function waitForDeliveries(receiverUrl, expected) {
  for (let i = 0; i < 600; i++) {
    const { ids } = await (await fetch(receiverUrl)).json();
    if (ids >= expected) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { ids } = await (await fetch(receiverUrl)).json();
  return ids;
}

/**
 * `count` signed orders, `concurrency` at a time (1: one after the other), for counting round
 * trips; resolves with how many were acknowledged.
 */
async function countedOrders(url, whsec, prefix, mode, count, concurrency) {
  const sign = signer(whsec);
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const orderId = `${prefix}-${next++}`;
      const body = JSON.stringify(
        mode === "qr"
          ? { order_id: orderId, amount: "12.30", mode: "qr", description: "Bench" }
          : { order_id: orderId, amount: "12.30", mode: "barcode", buyer_code: "280000000000000001" },
      );
      const timestamp = Math.floor(Date.now() / 1000);
      const id = `msg_${orderId}`;
      const response = await fetch(`${url}/v1/orders`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": sign(id, timestamp, body),
        },
      });
      await response.text();
      if (response.ok) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ok;
}

/** One service run: a fresh sandbox, the bin on `storage`, the load, then the store is checked. */
async function serviceRun(name, mode, storage) {
  const sandbox = await startProcess("sandbox");
  const receiver = mode === "barcode" ? await startProcess("receiver") : undefined;
  const whsec = secret();
  const env = async (extra = {}) => ({
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    WEBHOOK_SECRET: whsec,
    ALIPAYHK_GATEWAY: sandbox.info.gatewayUrl,
    ALIPAYHK_PARTNER: sandbox.info.partner,
    ALIPAYHK_SIGN_TYPE: "MD5",
    ALIPAYHK_MD5_KEY: sandbox.info.md5Key,
    ...(receiver ? { WEBHOOK_ENDPOINTS: `${receiver.info.url}/hooks`, WEBHOOK_ENDPOINT_SECRET: secret() } : {}),
    ...storage.env,
    ...extra,
  });
  const service = await startService(await env());
  const prefix = `${mode}${Date.now().toString(36)}`;
  const before = { service: cpuSeconds(service.child.pid), sandbox: cpuSeconds(sandbox.child.pid) };
  const orders = await load(service.url, whsec, prefix, mode);
  const n = orders.acknowledged.length || 1;
  orders.cpu = {
    service: ((cpuSeconds(service.child.pid) - before.service) * 1000) / n,
    sandbox: ((cpuSeconds(sandbox.child.pid) - before.sandbox) * 1000) / n,
  };
  let delivered;
  if (receiver) delivered = await waitForDeliveries(receiver.info.url, orders.acknowledged.length);
  const readsBefore = cpuSeconds(service.child.pid);
  const reads = READS && mode === "qr" && orders.acknowledged.length > 0 ? await loadReads(service.url, whsec, orders.acknowledged) : undefined;
  if (reads) reads.cpu = { service: ((cpuSeconds(service.child.pid) - readsBefore) * 1000) / (reads.reads || 1) };
  await stop(service.child);
  // Round trips per order, counted apart from the timed run (the counting proxy costs time).
  let roundTrips;
  if (storage.env.DATABASE_URL) {
    const counter = await startPgCounter(storage.env.DATABASE_URL);
    const counted = await startService(await env({ DATABASE_URL: counter.url }));
    // One after the other, then CONNECTIONS at a time (where concurrent requests can share statements).
    roundTrips = [];
    for (const [round, concurrency] of [1, CONNECTIONS].entries()) {
      const delivered = receiver ? (await (await fetch(receiver.info.url)).json()).ids : 0;
      const start = counter.roundTrips();
      const ok = await countedOrders(counted.url, whsec, `${prefix}c${round}`, mode, COUNTED_ORDERS, concurrency);
      if (receiver) await waitForDeliveries(receiver.info.url, delivered + ok);
      roundTrips.push((counter.roundTrips() - start) / (ok || 1));
    }
    await stop(counted.child);
    await counter.close();
  }
  const stored = await storage.orderIds();
  await stop(sandbox.child);
  if (receiver) await stop(receiver.child);
  const rows = [{ name, ...orders, lost: missing(orders.acknowledged, stored), delivered, roundTrips }];
  if (reads) rows.push({ name: `${name.split(":")[0]}: signed GET /v1/orders/{id} (no gateway call)`, ...reads, lost: 0 });
  return rows;
}

async function main() {
  const loadBefore = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
  const rows = [];
  if (!QR_ONLY) {
    const bare = await startProcess("bare");
    const whsec = secret();
    const bareBefore = cpuSeconds(bare.child.pid);
    const bareRun = await load(bare.info.url, whsec, "bare", "qr");
    bareRun.cpu = { service: ((cpuSeconds(bare.child.pid) - bareBefore) * 1000) / (bareRun.acknowledged.length || 1) };
    rows.push({ name: "bare node:http route (same requests, no work)", ...bareRun, lost: 0 });
    await stop(bare.child);
  }

  const dataDir = mkdtempSync(join(tmpdir(), "alipayhk-webhook-bench-"));
  const sqlite = (sub) => ({
    env: { DATA_DIR: join(dataDir, sub) },
    async orderIds() {
      const db = new Database(join(dataDir, sub, "alipayhk-webhook.sqlite"), { readonly: true });
      const ids = db.prepare("SELECT order_id FROM orders").pluck().all();
      db.close();
      return ids;
    },
  });
  rows.push(...(await serviceRun("embedded SQLite: QR order (precreate at the sandbox)", "qr", sqlite("qr"))));
  if (!QR_ONLY) rows.push(...(await serviceRun("embedded SQLite: barcode order (spot.pay, event out)", "barcode", sqlite("barcode"))));
  rmSync(dataDir, { recursive: true, force: true });

  if (POSTGRES !== "off") {
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    const postgres = async (run) => {
      const database = `alipayhk_webhook_bench_${randomBytes(4).toString("hex")}`;
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(POSTGRES);
      url.pathname = `/${database}`;
      try {
        return await run({
          env: { DATABASE_URL: url.toString() },
          async orderIds() {
            const client = new pg.Client({ connectionString: url.toString() });
            await client.connect();
            const { rows: found } = await client.query("SELECT order_id FROM orders");
            await client.end();
            return found.map((row) => row.order_id);
          },
        });
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      }
    };
    rows.push(...(await postgres((storage) => serviceRun("PostgreSQL: QR order (precreate at the sandbox)", "qr", storage))));
    if (!QR_ONLY) rows.push(...(await postgres((storage) => serviceRun("PostgreSQL: barcode order (spot.pay, event out)", "barcode", storage))));
    await admin.end();
  }

  console.log(
    `\n${DURATION} s per run, ${CONNECTIONS} connections, Node ${process.version}, loopback, ${os.cpus().length} cores, load average before: ${loadBefore}\n`,
  );
  console.log(
    `| run | 2xx req/s | p50 ms | p99 ms | non-2xx | orders acknowledged | lost | events delivered | CPU ms/request: service, sandbox | DB round trips/order: 1, ${CONNECTIONS} at a time |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${Math.round(row.rps)} | ${row.p50} | ${row.p99} | ${row.non2xx} | ${row.reads === undefined ? row.acknowledged.length : "-"} | ${row.lost} | ${row.delivered ?? "-"} | ${
        row.cpu
          ? [row.cpu.service, row.cpu.sandbox]
              .filter((v) => v !== undefined)
              .map((v) => v.toFixed(2))
              .join(", ")
          : "-"
      } | ${row.roundTrips === undefined ? "-" : row.roundTrips.map((n) => n.toFixed(1)).join(", ")} |`,
    );
  }
  // The targets, from the same run: PostgreSQL QR orders ≥ 0.6× SQLite's rate, service CPU per order ≤ 1.5× SQLite's.
  const sqliteQr = rows.find((row) => row.name.startsWith("embedded SQLite: QR"));
  const postgresQr = rows.find((row) => row.name.startsWith("PostgreSQL: QR"));
  if (sqliteQr && postgresQr) {
    const rateRatio = postgresQr.rps / sqliteQr.rps;
    const cpuRatio = postgresQr.cpu.service / sqliteQr.cpu.service;
    console.log(
      `\nPostgreSQL / SQLite, QR orders, same run: rate ${rateRatio.toFixed(2)}× (target ≥ 0.6: ${rateRatio >= 0.6 ? "met" : "MISSED"}), service CPU per order ${cpuRatio.toFixed(2)}× (target ≤ 1.5: ${cpuRatio <= 1.5 ? "met" : "MISSED"})`,
    );
  }
  const failures = rows.filter((row) => row.lost > 0 || (row.delivered !== undefined && row.delivered < row.acknowledged.length));
  if (failures.length) {
    console.error(`\nLOST: ${failures.map((row) => row.name).join("; ")}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
// Children are killed on exit (processes.mjs).
process.exit();
