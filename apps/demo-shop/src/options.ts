import { fileURLToPath } from "node:url";
import { parse, readSettings, renderHelp, setting, SettingError } from "@alipayhk/service-kit";

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

/** The demo's settings, each once: flag, variable, meaning, default, check. */
export const DEMO_SETTINGS = {
  port: setting({ flag: "--port", env: "DEMO_SHOP_PORT", meaning: "the shop's port; 0 picks a free port", default: 3000, parse: parse.port }),
  sandboxPort: setting({ flag: "--sandbox-port", env: "DEMO_SANDBOX_PORT", meaning: "the sandbox gateway's port", default: 4010, parse: parse.port }),
  adapterPort: setting({ flag: "--adapter-port", env: "DEMO_ADAPTER_PORT", meaning: "the webhook adapter's port", default: 3001, parse: parse.port }),
  host: setting({ flag: "--host", env: "DEMO_HOST", meaning: "listen address of all three servers", default: "127.0.0.1", parse: parse.text }),
  dataDir: setting({
    flag: "--data-dir",
    env: "DEMO_DATA_DIR",
    meaning: "state of the adapter, the sandbox and the shop; delete it to start afresh",
    default: DEFAULT_DATA_DIR,
    defaultText: "apps/demo-shop/.data",
    parse: parse.text,
  }),
};

/** `--help`, generated from {@link DEMO_SETTINGS}. */
export const USAGE = renderHelp(DEMO_SETTINGS, {
  usage: "npm start [-- options]   (from the repository root)\n       node apps/demo-shop/dist/main.js [options]",
  summary:
    "Starts the Alipay HK demo: the sandbox gateway (with its wallet page), the webhook adapter (@alipayhk/webhook on an embedded SQLite store) and a small shop on top of it.",
  options: [["-h, --help", "this help"]],
  footer: "Nothing here moves real money: the sandbox is local and uses test keys.",
});

/**
 * Reads the flags (which win) and the `DEMO_*` variables; `"help"` when `--help` was asked for.
 * A wrong one throws a one-line {@link SettingError} naming it (the bin prints it and exits 2).
 */
export function parseDemoArgs(argv: string[], env: Record<string, string | undefined> = process.env): DemoOptions | "help" {
  // `pnpm start -- --port 8080` hands the script a leading "--": take it as npm would.
  const { values, rest } = readSettings(DEMO_SETTINGS, { env, argv: argv[0] === "--" ? argv.slice(1) : argv });
  const unknown = rest.find((arg) => arg !== "-h" && arg !== "--help");
  if (unknown !== undefined) throw new SettingError(`${unknown.split("=")[0]}: unknown option (see --help)`, { field: unknown });
  if (rest.length > 0) return "help";
  const fixed = [
    ["--port", values.port],
    ["--sandbox-port", values.sandboxPort],
    ["--adapter-port", values.adapterPort],
  ] as const;
  for (const [i, [name, value]] of fixed.entries()) {
    const clash = fixed.slice(i + 1).find(([, other]) => value !== 0 && other === value);
    if (clash) throw new SettingError(`${clash[0]}: port ${value} is already taken by ${name}; expected three different ports`, { field: clash[0] });
  }
  return values;
}
