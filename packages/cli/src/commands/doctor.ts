/**
 * `alipayhk doctor`: checks the gateway configuration (flags or ALIPAYHK_* variables) with core's
 * `runDoctor` and prints one line per check. Exit 0 all good, 1 a problem found, 2 bad input.
 */
import { ALIPAYHK_ENV, AlipayConfigError, renderDoctorReport, runDoctor, type ClientSetting, type DoctorReport } from "@alipayhk/core";
import { parseFlags } from "../args";
import { FLAG_OF, GATEWAY_FLAGS, GATEWAY_FLAGS_HELP, pick } from "../config";
import { UsageError, writeJson, type CommandIo } from "../io";

export const DOCTOR_HELP = `Usage: alipayhk doctor [gateway options] [--notify-url URL] [--offline] [--json]

Checks your Alipay HK configuration against a gateway (the sandbox or production) without
moving money: the partner id, the sign type against the keys, each key's format and role
(your private key vs Alipay's public key), a signed query for a trade id that cannot exist,
the reply's signature with your Alipay key, Chinese text (charset), and what can be told from
here about your notify URL. Each problem comes with what to change.

Options:
  --notify-url URL   the notify URL you give Alipay (checked from this machine)
  --offline          check the settings only; send nothing
  --json             print the report as JSON
  -h, --help

${GATEWAY_FLAGS_HELP}

Exit status: 0 all good (warnings allowed), 1 a problem was found, 2 bad input.`;

/** The report as a merchant reads it (core's one rendering, shared with the adapters' `--check`). */
export { renderDoctorReport };

export async function doctorCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...GATEWAY_FLAGS, "notify-url": { type: "string" }, offline: { type: "boolean" }, json: { type: "boolean" } });
  if (values.help) {
    io.stdout.write(`${DOCTOR_HELP}\n`);
    return 0;
  }
  const env = io.env ?? process.env;
  const v = values as Record<string, string | undefined>;
  const settings: Partial<Record<ClientSetting, string | undefined>> = {};
  const labels: Partial<Record<ClientSetting, string>> = {};
  for (const [setting, flag] of Object.entries(FLAG_OF) as Array<[ClientSetting, string]>) {
    const fromFlag = v[flag.slice(2)];
    settings[setting] = pick(fromFlag, env, ALIPAYHK_ENV[setting]);
    // Name the setting the way the merchant gave it: the flag, or the variable.
    labels[setting] = fromFlag !== undefined ? flag : settings[setting] !== undefined ? ALIPAYHK_ENV[setting] : flag;
  }
  const timeout = settings.timeoutMs;
  if (timeout !== undefined && (!/^[0-9]+$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 600_000)) {
    throw new UsageError(`${labels.timeoutMs}: expected a whole number of milliseconds from 1 to 600000, got ${JSON.stringify(timeout)}`);
  }
  let report: DoctorReport;
  try {
    report = await runDoctor({ settings, labels, notifyUrl: v["notify-url"], network: values.offline !== true });
  } catch (error) {
    if (error instanceof AlipayConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json) writeJson(io, report);
  else io.stdout.write(renderDoctorReport(report));
  return report.ok ? 0 : 1;
}
