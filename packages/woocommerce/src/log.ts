/**
 * Where the bridge reports what it did. `alert` is for money that needs a human: a refund Alipay
 * refused, a late or duplicate payment kept under the `flag` policy, an amount mismatch.
 * Fields never hold keys or tokens.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  alert(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per event on stderr. */
export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(
        JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }, (_k, v: unknown) =>
          v instanceof Error ? { name: v.name, message: v.message } : v,
        ),
      );
  return { info: emit("info"), warn: emit("warn"), error: emit("error"), alert: emit("alert") };
}

/** Collects events in memory (tests). */
export function memoryLogger(): Logger & { events: Array<{ level: string; message: string; fields: Record<string, unknown> }> } {
  const events: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const emit =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void events.push({ level, message, fields });
  return { events, info: emit("info"), warn: emit("warn"), error: emit("error"), alert: emit("alert") };
}
