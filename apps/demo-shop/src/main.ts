/**
 * `npm start` (from the repository root) lands here once everything is built: the sandbox, the
 * webhook adapter and the shop in one process, until Ctrl+C.
 */
import { banner, PortInUseError, startDemo } from "./demo";
import { SettingError } from "@alipayhk/service-kit";
import { parseDemoArgs, USAGE } from "./options";

async function main(): Promise<number> {
  let options;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof SettingError) {
      process.stderr.write(`demo-shop: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  let demo;
  try {
    demo = await startDemo(options);
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`demo-shop: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  process.stdout.write(banner(demo));
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`\n${signal}: stopping the shop, the adapter and the sandbox (an open barcode charge is settled first)…\n`);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await demo.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`demo-shop: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
