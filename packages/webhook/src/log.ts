/**
 * Structured logs: one JSON object a line. Callers pass ids, codes and statuses, never keys or
 * secrets; `redact` masks the buyer's payment code, which is a one-time credential.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A JSON-lines logger writing to `write` (default stdout) from `level` up. */
export function jsonLogger(level: LogLevel = "info", write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const min = ORDER[level];
  return {
    log(entryLevel, message, fields = {}) {
      if (ORDER[entryLevel] < min) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: entryLevel, msg: message, ...fields })}\n`);
    },
  };
}

export const silentLogger: Logger = { log() {} };

/** `281234567890123456` → `2812**********3456`. */
export function maskBuyerCode(code: string): string {
  return code.length <= 8 ? "****" : `${code.slice(0, 4)}${"*".repeat(code.length - 8)}${code.slice(-4)}`;
}

/** An endpoint as shown by the API and in logs: no user, password, query or fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
