/**
 * `pnpm bench:outbox`: events delivered per second by the outbox on PostgreSQL, with 1, 2 and 4
 * service instances (the built bin) sharing one database, beside a bare
 * `SELECT … FOR UPDATE SKIP LOCKED` loop (same tables, same receiver, same number of processes)
 * in the same run. The outbox is filled with BENCH_OUTBOX_EVENTS pending deliveries at once; the
 * rate is events over the time from the first to the last arrival at the receiver. The receiver
 * counts every request: an event arriving twice (at once or not) is reported.
 *
 * Environment: BENCH_OUTBOX_EVENTS (default 20000), BENCH_OUTBOX_INSTANCES (default "1,2,4"),
 * BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import os from "node:os";
import pg from "pg";
import { startProcess, startService, stop } from "./processes.mjs";

const EVENTS = Number(process.env.BENCH_OUTBOX_EVENTS ?? 20_000);
const INSTANCES = (process.env.BENCH_OUTBOX_INSTANCES ?? "1,2,4").split(",").map(Number);
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TARGET = 0.5;

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function serviceEnv(databaseUrl, port, endpoint) {
  return {
    PORT: String(port),
    HOST: "127.0.0.1",
    WEBHOOK_SECRET: secret(),
    // Never called: the outbox needs no gateway.
    ALIPAYHK_GATEWAY: "http://127.0.0.1:9/gateway.do",
    ALIPAYHK_PARTNER: "2088101122136241",
    ALIPAYHK_SIGN_TYPE: "MD5",
    ALIPAYHK_MD5_KEY: "0123456789abcdef0123456789abcdef",
    DATABASE_URL: databaseUrl,
    ...(endpoint ? { WEBHOOK_ENDPOINTS: endpoint, WEBHOOK_ENDPOINT_SECRET: secret() } : {}),
  };
}

/** Pending deliveries for EVENTS events, due now, in one statement pair (one transaction). */
async function fill(databaseUrl, endpoint) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const now = Date.now();
  const payload = JSON.stringify({
    type: "payment.succeeded",
    timestamp: new Date(now).toISOString(),
    data: { order_id: "bench", amount: "12.30", currency: "HKD", status: "paid" },
  });
  await client.query("BEGIN");
  await client.query(
    "INSERT INTO events (id, type, order_id, payload, created_at) SELECT 'evt_bench_' || g, 'payment.succeeded', 'o' || g, $1, $2 FROM generate_series(1, $3) g",
    [payload, now, EVENTS],
  );
  await client.query(
    "INSERT INTO deliveries (id, event_id, endpoint, status, attempts, next_attempt_at) SELECT 'evt_bench_' || g || '.x', 'evt_bench_' || g, $1, 'pending', 0, $2 FROM generate_series(1, $3) g",
    [endpoint, now, EVENTS],
  );
  await client.query("COMMIT");
  await client.end();
}

async function waitFor(receiverUrl, expected, timeoutMs = 300_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await (await fetch(receiverUrl)).json();
    if (state.ids >= expected || Date.now() > until) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withDatabase(admin, run) {
  const database = `alipayhk_scale_outbox_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(POSTGRES);
  url.pathname = `/${database}`;
  try {
    return await run(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

/** The outbox of `n` service instances on one database. */
async function outboxRun(admin, receiver, n) {
  return withDatabase(admin, async (databaseUrl) => {
    const endpoint = `${receiver.info.url}/hooks`;
    const services = [];
    try {
      for (let i = 0; i < n; i++) services.push(await startService(serviceEnv(databaseUrl, await freePort(), endpoint)));
      await fetch(receiver.info.url, { method: "DELETE" });
      await fill(databaseUrl, endpoint);
      // The instances find the rows on their next poll (at most 1 s); the clock starts at the first arrival.
      return await waitFor(receiver.info.url, EVENTS);
    } finally {
      for (const service of services) await stop(service.child);
    }
  });
}

/** The bare SKIP LOCKED loop in `n` processes over the same tables (migrated by one service start). */
async function bareRun(admin, receiver, n) {
  return withDatabase(admin, async (databaseUrl) => {
    const endpoint = `${receiver.info.url}/hooks`;
    const migrator = await startService(serviceEnv(databaseUrl, await freePort()));
    await stop(migrator.child);
    await fetch(receiver.info.url, { method: "DELETE" });
    await fill(databaseUrl, endpoint);
    const loops = [];
    for (let i = 0; i < n; i++) loops.push(await startProcess("bare-outbox", { BARE_DATABASE_URL: databaseUrl }));
    const done = loops.map(({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve))));
    for (const { child } of loops) child.kill("SIGUSR2");
    await Promise.all(done);
    return waitFor(receiver.info.url, EVENTS, 5_000);
  });
}

const rate = (state) => (state.last > state.first ? state.ids / ((state.last - state.first) / 1000) : Number.NaN);

async function main() {
  const loadBefore = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  const receiver = await startProcess("receiver");
  const rows = [];
  try {
    for (const n of INSTANCES) {
      // Alternate, so both see the same machine load as far as possible.
      const bare = await bareRun(admin, receiver, n);
      const outbox = await outboxRun(admin, receiver, n);
      rows.push({ n, bare, outbox });
    }
  } finally {
    await stop(receiver.child);
    await admin.end();
  }
  console.log(`\n${EVENTS} events per run, PostgreSQL, Node ${process.version}, loopback, ${os.cpus().length} cores, load average before: ${loadBefore}\n`);
  console.log("| instances | outbox events/s | bare SKIP LOCKED loop events/s | outbox / bare | delivered (distinct) | requests | twice at once |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  let failed = false;
  for (const { n, bare, outbox } of rows) {
    const ratio = rate(outbox) / rate(bare);
    console.log(
      `| ${n} | ${Math.round(rate(outbox))} | ${Math.round(rate(bare))} | ${ratio.toFixed(2)} | ${outbox.ids} / ${EVENTS} | ${outbox.total} | ${outbox.concurrent} |`,
    );
    if (outbox.ids < EVENTS || outbox.concurrent > 0 || bare.ids < EVENTS) {
      failed = true;
      console.log(`  incomplete: outbox ${JSON.stringify(outbox)}, bare ${JSON.stringify(bare)}`);
    }
    if (!(ratio >= TARGET)) console.log(`  target outbox ≥ ${TARGET}× the bare loop with ${n} instance(s): MISSED`);
  }
  if (failed) {
    console.error("\nan event was not delivered, or was delivered twice at once");
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
