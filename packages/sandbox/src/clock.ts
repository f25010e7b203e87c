/**
 * The sandbox's own time. Every rule that depends on time (QR expiry, the GMT+8 cancel day, the
 * refund period, notification retries, notify_id validity) reads this clock, and
 * `POST /sandbox/clock` moves it, so tests cross a day boundary without waiting for one.
 */
import type { Clock } from "@alipayhk/core";

const GMT8_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
/** setTimeout's ceiling (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A clock that runs at real speed from an adjustable offset. */
export class SandboxClock implements Clock {
  private offsetMs: number;
  private readonly listeners = new Set<() => void>();

  constructor(start?: Date, offsetMs?: number) {
    this.offsetMs = start ? start.getTime() - Date.now() : (offsetMs ?? 0);
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Milliseconds between the sandbox's time and the machine's. */
  get offset(): number {
    return this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
    this.emit();
  }

  set(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
    this.emit();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** 00:00 GMT+8 of the day after `instant`: the end of a paid trade's cancel window. */
export function startOfNextGmt8Day(instant: Date): Date {
  const dayStart = Math.floor((instant.getTime() + GMT8_MS) / DAY_MS) * DAY_MS;
  return new Date(dayStart + DAY_MS - GMT8_MS);
}

/** 00:00 GMT+8 of the given `YYYY-MM-DD` day. */
export function startOfGmt8Day(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - GMT8_MS);
}

/** `YYYY-MM-DD` → `YYYYMMDD` (file names, trade ids). */
export function compactDay(day: string): string {
  return day.replace(/-/g, "");
}

/** Shifts a `YYYY-MM-DD` day by whole days. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/**
 * Parses a duration such as `"25h"`, `"90m"`, `"2d"`, `"30s"`, `"1500ms"` or a plain number of
 * milliseconds. Returns undefined when the text is not a duration.
 *
 * @example parseDuration("25h") // 90000000
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "ms"]!);
}

interface Task {
  dueAt: number;
  /** Real milliseconds per sandbox millisecond for this task's timer. */
  scale: number;
  run: () => void;
  timer?: NodeJS.Timeout;
}

/**
 * Runs work at a sandbox time: whichever comes first, the clock being moved past `dueAt`, or a real
 * timer of `(dueAt - now) * scale` ms. A scale below 1 makes ladders of minutes and hours pass in
 * milliseconds; the clock route makes them pass at once.
 */
export class Scheduler {
  private readonly tasks = new Map<string, Task>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly clock: SandboxClock,
    private readonly onError: (key: string, error: unknown) => void,
  ) {
    this.unsubscribe = clock.onChange(() => this.reschedule());
  }

  /** Schedules (or replaces) the task `key`. */
  at(key: string, dueAt: Date, scale: number, run: () => void): void {
    if (this.closed) return;
    this.cancel(key);
    const task: Task = { dueAt: dueAt.getTime(), scale, run };
    this.tasks.set(key, task);
    this.arm(key, task);
  }

  cancel(key: string): void {
    const task = this.tasks.get(key);
    if (task?.timer) clearTimeout(task.timer);
    this.tasks.delete(key);
  }

  has(key: string): boolean {
    return this.tasks.has(key);
  }

  /** Runs every task whose sandbox time has come, in due order. */
  runDue(): void {
    const now = this.clock.now().getTime();
    const due = [...this.tasks.entries()].filter(([, task]) => task.dueAt <= now).sort((a, b) => a[1].dueAt - b[1].dueAt);
    for (const [key] of due) this.fire(key);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const task of this.tasks.values()) if (task.timer) clearTimeout(task.timer);
    this.tasks.clear();
  }

  private reschedule(): void {
    this.runDue();
    for (const [key, task] of this.tasks) this.arm(key, task);
  }

  private arm(key: string, task: Task): void {
    const realDueAt = Date.now() + Math.max(0, (task.dueAt - this.clock.now().getTime()) * task.scale);
    this.armUntil(key, task, realDueAt);
  }

  private armUntil(key: string, task: Task, realDueAt: number): void {
    if (task.timer) clearTimeout(task.timer);
    const remaining = realDueAt - Date.now();
    task.timer = setTimeout(
      () => {
        if (realDueAt - Date.now() > 1000) this.armUntil(key, task, realDueAt);
        else this.fire(key);
      },
      Math.max(0, Math.min(remaining, MAX_TIMER_MS)),
    );
    task.timer.unref();
  }

  private fire(key: string): void {
    const task = this.tasks.get(key);
    if (!task) return;
    this.cancel(key);
    try {
      task.run();
    } catch (error) {
      this.onError(key, error);
    }
  }
}
