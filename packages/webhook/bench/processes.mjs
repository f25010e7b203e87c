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
  // The platform's endpoint: counts distinct event ids (signature checks are the tests' job).
  const ids = new Set();
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      res.end(JSON.stringify({ ids: ids.size }));
      return;
    }
    req.on("data", () => {});
    req.on("end", () => {
      ids.add(req.headers["webhook-id"]);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
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
  const child = track(spawn(process.execPath, [...nodeArgs, bin], { env: { PATH: process.env.PATH, LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "inherit", "inherit"] }));
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
