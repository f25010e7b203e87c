/**
 * Runs the README's main-job command (`npm start`, from the repository root) as a person would
 * in a fresh shell, passing the demo's flags through, and reads the URLs it prints.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export interface MainJob {
  shopUrl: string;
  walletUrl: string;
  sandboxUrl: string;
  adapterUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops the whole process tree (npm, the bootstrap, pnpm, the shop) and waits for it. */
  stop(): Promise<void>;
}

/**
 * The environment of a user's shell: without what npm, pnpm, turbo and vitest add for the test
 * run itself (an `npm_config_*` variable is npm configuration; `NODE_ENV=test` changes libraries).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|TURBO_|VITEST|__VITEST|NODE_ENV$|INIT_CWD$)/i.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Starts `npm start -- <args>` in its own process group; resolves once the demo printed its URLs. */
export async function startMainJob(args: string[], timeoutMs: number): Promise<MainJob> {
  const child: ChildProcess = spawn("npm", ["start", "--", ...args], { cwd: REPO_ROOT, env: userEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));

  /** True while any process of the group (npm, the bootstrap, pnpm, the shop) is alive. */
  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async () => {
    if (!groupAlive()) return;
    process.kill(-child.pid!, "SIGTERM");
    // The shop closes its servers and writes its state on SIGTERM; the rest of the tree just exits.
    const deadline = Date.now() + 15_000;
    while (groupAlive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (groupAlive()) process.kill(-child.pid!, "SIGKILL");
    await exit;
  };

  const url = (label: string) => new RegExp(`${label}:\\s+(http://\\S+)`).exec(output)?.[1];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shopUrl = url("Shop");
    const walletUrl = url("Sandbox wallet");
    const gateway = url("Sandbox gateway");
    const adapterUrl = url("Adapter API");
    if (shopUrl && walletUrl && gateway && adapterUrl) {
      return { shopUrl, walletUrl, sandboxUrl: gateway.replace(/\/gateway\.do$/, ""), adapterUrl, output: () => output, stop };
    }
    if (exited) throw new Error(`npm start exited (code ${exited.code}, signal ${exited.signal}) before printing the shop and wallet URLs:\n${tail(output)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start printed no shop and wallet URLs within ${Math.round(timeoutMs / 1000)} s:\n${tail(output)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
