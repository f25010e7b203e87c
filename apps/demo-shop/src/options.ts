import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** Where and how the demo runs. */
export interface DemoOptions {
  /** The shop's port (default 3000; 0 picks a free one). */
  port: number;
  /** The sandbox gateway's port (default 4010). */
  sandboxPort: number;
  /** The webhook adapter's port (default 3001). */
  adapterPort: number;
  /** Listen address of all three servers (default 127.0.0.1). */
  host: string;
  /** Where the adapter's SQLite store, the sandbox's ledger and the shop's orders live. */
  dataDir: string;
}

/** `apps/demo-shop/.data`: ignored by git (the root `.gitignore` has `.data/`). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../.data", import.meta.url));

export const USAGE = `Usage: npm start [-- options]   (from the repository root)
       node apps/demo-shop/dist/main.js [options]

Starts the Alipay HK demo: the sandbox gateway (with its wallet page), the webhook adapter
(@alipayhk/webhook on an embedded SQLite store) and a small shop on top of it.

Options (each also read from the environment variable shown):
  --port N            the shop's port (DEMO_SHOP_PORT; default 3000; 0 picks a free port)
  --sandbox-port N    the sandbox gateway's port (DEMO_SANDBOX_PORT; default 4010)
  --adapter-port N    the webhook adapter's port (DEMO_ADAPTER_PORT; default 3001)
  --host H            listen address (DEMO_HOST; default 127.0.0.1)
  --data-dir DIR      state of the adapter, the sandbox and the shop (DEMO_DATA_DIR;
                      default apps/demo-shop/.data; delete it to start afresh)
  -h, --help          this help

Nothing here moves real money: the sandbox is local and uses test keys.
`;

/** A wrong flag or variable: the bin prints the message as one line and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const text = value.trim();
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${name}: expected a port from 0 to 65535, got ${JSON.stringify(text.slice(0, 20))}`);
  return Number(text);
}

/** Reads the flags (which win) and the `DEMO_*` variables; `"help"` when `--help` was asked for. */
export function parseDemoArgs(argv: string[], env: Record<string, string | undefined> = process.env): DemoOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm start -- --port 8080` hands the script a leading "--": take it as npm would.
      args: argv[0] === "--" ? argv.slice(1) : argv,
      options: {
        port: { type: "string" },
        "sandbox-port": { type: "string" },
        "adapter-port": { type: "string" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`);
  }
  if (values.help) return "help";
  // A flag wins over its variable; messages name whichever was used.
  const pick = (flag: string, variable: string, fallback: number) => {
    const given = values[flag as "port"];
    return given !== undefined ? port(`--${flag}`, given, fallback) : port(variable, env[variable], fallback);
  };
  const options: DemoOptions = {
    port: pick("port", "DEMO_SHOP_PORT", 3000),
    sandboxPort: pick("sandbox-port", "DEMO_SANDBOX_PORT", 4010),
    adapterPort: pick("adapter-port", "DEMO_ADAPTER_PORT", 3001),
    host: (values.host ?? env.DEMO_HOST ?? "").trim() || "127.0.0.1",
    dataDir: (values["data-dir"] ?? env.DEMO_DATA_DIR ?? "").trim() || DEFAULT_DATA_DIR,
  };
  const fixed = [
    ["--port", options.port],
    ["--sandbox-port", options.sandboxPort],
    ["--adapter-port", options.adapterPort],
  ] as const;
  for (const [i, [name, value]] of fixed.entries()) {
    const clash = fixed.slice(i + 1).find(([, other]) => value !== 0 && other === value);
    if (clash) throw new UsageError(`${clash[0]}: port ${value} is already taken by ${name}; expected three different ports`);
  }
  return options;
}
