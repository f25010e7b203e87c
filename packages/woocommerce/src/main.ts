import { doctorSettingsFromEnv, renderDoctorReport, runDoctor } from "@alipayhk/core";
import { createBridge, type Bridge } from "./bridge.js";
import { bridgeHelp, ConfigError, loadConfig } from "./config.js";
import { checkDeliveryUrl, resolveIPv4 } from "./delivery-url.js";

export interface MainIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * The `alipayhk-woo` command. Returns the exit code: 0, 2 for a usage error or a bad setting (one
 * line naming the variable). When the bridge starts, `bridge` is set and the process keeps running
 * until a signal.
 */
export async function main(argv: string[], env: Record<string, string | undefined>, io: MainIo): Promise<{ code: number; bridge?: Bridge }> {
  const args = argv.filter(Boolean);
  if (args.includes("--help") || args.includes("-h")) {
    io.out(bridgeHelp().trimEnd());
    return { code: 0 };
  }
  const unknown = args.find((a) => a !== "--check");
  if (unknown) {
    io.err(`alipayhk-woo: unknown argument ${JSON.stringify(unknown)} (try --help)`);
    return { code: 2 };
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`alipayhk-woo: ${err.message}`);
    return { code: 2 };
  }
  for (const warning of config.warnings ?? []) io.err(`alipayhk-woo: warning: ${warning}`);
  if (args.includes("--check")) {
    io.out(
      `alipayhk-woo: configuration OK (shop ${config.woo.url}, public URL ${config.publicUrl}, listening on ${config.host}:${config.port}, sign type ${config.alipay.signType})`,
    );
    const verdict = await checkDeliveryUrl(`${config.publicUrl}/woocommerce/webhook`, config.woo.url, resolveIPv4);
    if (!verdict.ok) io.err(`alipayhk-woo: warning: ${verdict.message} (the poll still keeps orders in step, every POLL_INTERVAL_SECONDS)`);
    // The same checks as `alipayhk doctor`, on the bridge's own Alipay settings and notify URL.
    const report = await runDoctor({ settings: doctorSettingsFromEnv(env), notifyUrl: `${config.publicUrl}/alipay/notify` });
    io.out(renderDoctorReport(report).trimEnd());
    return { code: report.ok ? 0 : 1 };
  }
  const bridge = createBridge(config);
  await bridge.start();
  return { code: 0, bridge };
}
