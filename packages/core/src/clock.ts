/** The time seam: inject a fixed or movable clock in tests (GMT+8 day rules depend on it). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const GMT8_MS = 8 * 3600 * 1000;

/** The GMT+8 calendar day of an instant, as `YYYY-MM-DD` (Alipay's transaction day). */
export function gmt8Day(instant: Date): string {
  return new Date(instant.getTime() + GMT8_MS).toISOString().slice(0, 10);
}

/** `yyyyMMddHHmmss` in GMT+8 (Alipay's compact time format). */
export function formatGmt8Compact(instant: Date): string {
  return new Date(instant.getTime() + GMT8_MS).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** `yyyy-MM-dd HH:mm:ss` in GMT+8 (notification and file time format). */
export function formatGmt8(instant: Date): string {
  return new Date(instant.getTime() + GMT8_MS).toISOString().replace("T", " ").slice(0, 19);
}

/** Parses `yyyyMMddHHmmss` or `yyyy-MM-dd HH:mm:ss` given in GMT+8; undefined when malformed. */
export function parseGmt8(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - GMT8_MS;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Waits `ms` milliseconds; the flows take an injectable `sleep` so tests need not wait. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
