/**
 * The processes of the benchmark, each in its own Node process so they do not share an event loop
 * with the load generator: the sandbox (the Alipay side), the service (the built bin), and a bare
 * node:http route for comparison.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

const role = process.argv[2];

/** Children are stopped with the benchmark, even when it fails. */
const children = new Set();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});
function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

if (role === "sandbox") {
  const { startSandbox } = await import("@alipayhk/sandbox");
  const sandbox = await startSandbox({ notifyTimeScale: 0.001 });
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, gatewayUrl: sandbox.gatewayUrl, partner: sandbox.partner, md5Key: sandbox.md5Key })}\n`);
} else if (role === "bare") {
  // The same framework (node:http) with no work: read the body, answer JSON.
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, bytes: Buffer.concat(chunks).length }));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
} else if (role === "receiver") {
  // The platform's endpoint: counts distinct event ids and every request (signature checks are the
  // tests' job), the first and last arrival, and any id that arrives while the same id is still
  // being received (delivered twice at once).
  const ids = new Set();
  const open = new Map();
  let total = 0;
  let concurrent = 0;
  let first = null;
  let last = null;
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      res.end(JSON.stringify({ ids: ids.size, total, concurrent, first, last }));
      return;
    }
    if (req.method === "DELETE") {
      ids.clear();
      open.clear();
      total = concurrent = 0;
      first = last = null;
      res.writeHead(204).end();
      return;
    }
    const id = req.headers["webhook-id"];
    if (open.get(id) > 0) concurrent++;
    open.set(id, (open.get(id) ?? 0) + 1);
    req.on("data", () => {});
    req.on("end", () => {
      open.set(id, open.get(id) - 1);
      const now = performance.now() + performance.timeOrigin;
      first ??= now;
      last = now;
      total++;
      ids.add(id);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
} else if (role === "bare-outbox") {
  // The baseline of the outbox benchmark: the textbook loop over the same tables, nothing else.
  // BEGIN; SELECT … FOR UPDATE SKIP LOCKED LIMIT 8; POST each; UPDATE … delivered; COMMIT; until empty.
  const { default: pg } = await import("pg");
  const { request, Agent } = await import("node:http");
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const client = new pg.Client({ connectionString: process.env.BARE_DATABASE_URL });
  await client.connect();
  const post = (url, id, body) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "webhook-id": id } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.on("error", reject);
      req.end(body);
    });
  // The handler first: SIGUSR2 before it would end the process.
  const go = new Promise((resolve) => process.once("SIGUSR2", resolve));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await go;
  for (;;) {
    await client.query("BEGIN");
    const { rows } = await client.query(
      "SELECT d.id, d.event_id, d.endpoint, e.payload FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT 8 FOR UPDATE OF d SKIP LOCKED",
      [Date.now()],
    );
    if (rows.length === 0) {
      await client.query("COMMIT");
      break;
    }
    await Promise.all(rows.map((row) => post(row.endpoint, row.event_id, row.payload)));
    await client.query("UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1 WHERE id = ANY($2)", [
      Date.now(),
      rows.map((row) => row.id),
    ]);
    await client.query("COMMIT");
  }
  await client.end();
  process.exit(0);
}

/** Starts `role` in a child process; resolves with the JSON line it prints, and the child. */
export function startProcess(role, env = {}) {
  const script = fileURLToPath(import.meta.url);
  const child = track(spawn(process.execPath, [script, role], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] }));
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const line = buffer.split("\n")[0];
      if (buffer.includes("\n")) resolve({ child, info: JSON.parse(line) });
    });
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** Starts the built service bin with `env`; resolves once /healthz answers. */
export async function startService(env) {
  const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
  // BENCH_SERVICE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the service.
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = track(
    spawn(process.execPath, [...nodeArgs, bin], { env: { PATH: process.env.PATH, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "inherit", "inherit"] }),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url };
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error("the service did not start");
}

export function stop(child, signal = "SIGTERM") {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/**
 * A TCP proxy in front of PostgreSQL that counts round trips: every Sync (extended protocol, one
 * per parameterised query) and every simple Query a client sends. For counting, never for timing.
 * Resolves with { url, roundTrips(), close() }; `url` is `databaseUrl` through the proxy.
 */
export async function startPgCounter(databaseUrl) {
  const { createServer: createTcpServer, connect } = await import("node:net");
  const target = new URL(databaseUrl);
  let roundTrips = 0;
  const sockets = new Set();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          if (pending.length < 4) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          pending = pending.subarray(length);
          started = true;
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < length + 1) break;
        const type = String.fromCharCode(pending[0]);
        if (type === "S" || type === "Q") roundTrips++;
        pending = pending.subarray(length + 1);
      }
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(server.address().port);
  return {
    url: url.toString(),
    roundTrips: () => roundTrips,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
