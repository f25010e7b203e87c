#!/usr/bin/env node
import { main } from "./main";

main(process.argv.slice(2), process.env).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: Error) => {
    process.stderr.write(`alipayhk-webhook: ${error.message}\n`);
    process.exit(1);
  },
);
