import { AlipayError } from "@alipayhk/core";
import { demoCommand } from "./commands/demo";
import { doctorCommand } from "./commands/doctor";
import { GATEWAY_COMMANDS, gatewayCommand } from "./commands/gateway";
import { signCommand, verifyCommand } from "./commands/sign";
import { UsageError, type CommandIo } from "./io";

export const MAIN_HELP = `Usage: alipayhk <command> [options]

Alipay HK (gateway.do) from the command line.

Commands:
  sign        sign gateway parameters (MD5, RSA, RSA2) and print the canonical string and sign
  verify      verify a notification body from stdin
${Object.entries(GATEWAY_COMMANDS)
  .map(([name, cmd]) => `  ${name.padEnd(11)} ${cmd.summary}`)
  .join("\n")}
  doctor      check your configuration against a gateway without moving money
  sandbox     run the local Alipay HK sandbox gateway
  recon       parse, summarise and match reconciliation files
  demo        start the sandbox and run a QR payment, a query and a refund against it

Run 'alipayhk <command> --help' for a command's options.`;

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 a negative result (invalid signature, payment
 * not made, discrepancies), 2 bad input (one line on stderr naming the field).
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stdout.write(`${MAIN_HELP}\n`);
        return command === undefined ? 2 : 0;
      case "sign":
        return await signCommand(args, io);
      case "verify":
        return await verifyCommand(args, io);
      case "sandbox": {
        const { runSandboxCommand } = await import("@alipayhk/sandbox");
        return await runSandboxCommand(args, io);
      }
      case "recon": {
        const { runReconCommand } = await import("./commands/recon");
        return await runReconCommand(args, io);
      }
      case "demo":
        return await demoCommand(args, io);
      case "doctor":
        return await doctorCommand(args, io);
      default:
        if (command in GATEWAY_COMMANDS) return await gatewayCommand(command, args, io);
        throw new UsageError(
          `command ${JSON.stringify(command)}: expected one of sign, verify, ${Object.keys(GATEWAY_COMMANDS).join(", ")}, doctor, sandbox, recon, demo (see alipayhk --help)`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`alipayhk: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AlipayError) {
      // Gateway, network or signature trouble: one line, the code, never a key.
      io.stderr.write(`alipayhk: ${error.message}${error.code && !error.message.includes(error.code) ? ` (${error.code})` : ""}\n`);
      return 1;
    }
    throw error;
  }
}
