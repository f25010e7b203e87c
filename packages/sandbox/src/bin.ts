#!/usr/bin/env node
import { runSandboxCommand } from "./cli";

runSandboxCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`alipayhk-sandbox: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
