import { doctorSettingsFromEnv, renderDoctorReport, runDoctor } from "@alipayhk/core";
import { renderHelp } from "@alipayhk/service-kit";
import { ConfigError, loadConfigFromEnv, WEBHOOK_SETTINGS } from "./config";
import { jsonLogger } from "./log";
import { createWebhookService } from "./service";

/** `--help`, generated from {@link WEBHOOK_SETTINGS}. */
export const USAGE = renderHelp(WEBHOOK_SETTINGS, {
  usage: "alipayhk-webhook [--check | --help]",
  summary: "Alipay HK for any store or POS through one small HTTP API. Configured by environment variables; starts the service.",
  options: [
    [
      "--check",
      "check the Alipay settings against the gateway without moving money (keys and their roles, sign type, a signed query, the reply's signature, the notify URL from PUBLIC_URL); exit 0 ok, 1 problem, 2 bad input",
    ],
    ["--help", "this text"],
  ],
  footer: "API: GET /openapi.json on the running service. Exit codes: 0 stopped, 1 failed, 2 configuration.",
});

/**
 * The bin: reads the environment, starts the service, stops cleanly on SIGINT/SIGTERM. Resolves
 * with an exit code when it ends at once (help, configuration error), else undefined.
 */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number | undefined> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const check = argv[0] === "--check" && argv.length === 1;
  if (argv.length > 0 && !check) {
    process.stderr.write(`alipayhk-webhook: ${argv[0]}: unknown argument; configuration comes from the environment (see --help)\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfigFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`alipayhk-webhook: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  for (const warning of config.warnings) process.stderr.write(`alipayhk-webhook: warning: ${warning}\n`);
  if (check) {
    // The same checks as `alipayhk doctor`, on this service's own settings and notify URL.
    const report = await runDoctor({ settings: doctorSettingsFromEnv(env), notifyUrl: `${config.service.publicUrl}/alipay/notify` });
    process.stdout.write(renderDoctorReport(report));
    return report.ok ? 0 : 1;
  }
  const logger = jsonLogger(config.logLevel);
  const service = await createWebhookService({ ...config.service, logger });
  await service.listen(config.port, config.host);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "stopping", { signal });
    service.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.log("error", "stop failed", { error: error.message });
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  return undefined;
}
