#!/usr/bin/env node
import { main } from "./main.js";

const io = { out: (t: string) => process.stdout.write(`${t}\n`), err: (t: string) => process.stderr.write(`${t}\n`) };

main(process.argv.slice(2), process.env, io).then(
  ({ code, bridge }) => {
    if (!bridge) {
      process.exitCode = code;
      return;
    }
    const stop = () => {
      bridge.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  },
  (err: unknown) => {
    process.stderr.write(`alipayhk-woo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
