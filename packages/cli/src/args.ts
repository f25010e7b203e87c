import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `util.parseArgs` with errors turned into one-line usage errors that name the flag.
 */
export interface ParsedFlags {
  values: Record<string, string | boolean | undefined> & { help?: boolean };
  positionals: string[];
}

export function parseFlags(args: string[], options: Options, allowPositionals = false): ParsedFlags {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true }) as ParsedFlags;
  } catch (error) {
    const message = (error as Error).message.split("\n")[0]!.replace(/\. To specify a positional argument.*$/, "");
    throw new UsageError(message);
  }
}

/** `name=value` arguments into a map; a malformed one is named in the error. */
export function parsePairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`argument ${JSON.stringify(pair)}: expected name=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
