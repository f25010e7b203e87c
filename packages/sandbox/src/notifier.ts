/**
 * Delivers asynchronous notifications to merchants' `notify_url` (spec §3.1): a form POST, retried
 * along a ladder until the body is exactly `success`. The ladder runs on the sandbox clock, scaled
 * by `notifyTimeScale`, so hours of retries pass in milliseconds in tests.
 */
import { encodeForm } from "@alipayhk/core";
import type { Scheduler, SandboxClock } from "./clock";

export interface NotificationAttempt {
  /** Sandbox time of the attempt (ISO). */
  at: string;
  httpStatus?: number;
  /** The merchant's reply body, first 200 characters. */
  body?: string;
  /** Network error code or message when there was no HTTP reply. */
  error?: string;
  ok: boolean;
}

export type NotificationKind = "payment" | "close" | "refund" | "stale";

export interface NotificationRecord {
  id: number;
  notifyId: string;
  partner: string;
  kind: NotificationKind;
  outTradeNo: string;
  partnerRefundId?: string;
  url: string;
  /** The signed form fields, identical on every attempt. */
  fields: Record<string, string>;
  charset: string;
  /** pending: more attempts to come; delivered: answered `success`; failed: the ladder ran out. */
  status: "pending" | "delivered" | "failed";
  attempts: NotificationAttempt[];
  createdAt: string;
  nextAttemptAt?: string;
  /** Extra deliveries (duplicates, stale) get one attempt and no ladder. */
  retries: boolean;
  /** For a duplicate: the record it repeats. */
  duplicateOf?: number;
  /** Fault follow-ups still to send after this one. */
  pendingDuplicates?: number;
  pendingStale?: Record<string, string>;
}

export interface NotificationInput {
  partner: string;
  kind: NotificationKind;
  outTradeNo: string;
  partnerRefundId?: string;
  url: string;
  fields: Record<string, string>;
  charset: string;
  /** Fault: extra deliveries of the same notification after it was acknowledged. */
  duplicates?: number;
  /** Fault: a stale notification (signed fields) delivered after this one. */
  stale?: Record<string, string>;
}

export interface NotifierOptions {
  clock: SandboxClock;
  scheduler: Scheduler;
  /** Delays after the first attempt, sandbox ms: default 2m, 10m, 10m, 1h, 2h, 6h, 15h. */
  schedule: number[];
  timeScale: number;
  timeoutMs: number;
  verifyWindowMs: number;
  onChange: () => void;
  log: (line: string) => void;
}

/** The spec's ladder (§3.1): 2m, 10m, 10m, 1h, 2h, 6h, 15h after the first attempt. */
export const DEFAULT_NOTIFY_SCHEDULE_MS = [2, 10, 10, 60, 120, 360, 900].map((minutes) => minutes * 60_000);

export class Notifier {
  private records: NotificationRecord[] = [];
  private nextId = 1;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: NotifierOptions) {}

  enqueue(input: NotificationInput): NotificationRecord {
    const record: NotificationRecord = {
      id: this.nextId++,
      notifyId: input.fields.notify_id ?? "",
      partner: input.partner,
      kind: input.kind,
      outTradeNo: input.outTradeNo,
      partnerRefundId: input.partnerRefundId,
      url: input.url,
      fields: input.fields,
      charset: input.charset,
      status: "pending",
      attempts: [],
      createdAt: this.options.clock.now().toISOString(),
      retries: input.kind !== "stale",
      pendingDuplicates: input.duplicates || undefined,
      pendingStale: input.stale,
    };
    this.records.push(record);
    this.plan(record, this.options.clock.now());
    this.options.onChange();
    return record;
  }

  list(): NotificationRecord[] {
    return this.records;
  }

  /** notify_verify: true for a notify_id this partner was sent within the window (from its last attempt). */
  isValid(partner: string, notifyId: string): boolean {
    const now = this.options.clock.now().getTime();
    return this.records.some((record) => {
      if (record.partner !== partner || record.notifyId !== notifyId) return false;
      const last = record.attempts.at(-1);
      return last !== undefined && now - Date.parse(last.at) <= this.options.verifyWindowMs;
    });
  }

  /** Takes back records from the state file and resumes the pending ones. */
  restore(records: NotificationRecord[]): void {
    this.records = records;
    this.nextId = records.reduce((max, record) => Math.max(max, record.id), 0) + 1;
    for (const record of records) {
      if (record.status === "pending") this.plan(record, record.nextAttemptAt ? new Date(record.nextAttemptAt) : this.options.clock.now());
    }
  }

  clear(): void {
    for (const record of this.records) this.options.scheduler.cancel(this.key(record));
    this.records = [];
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private key(record: NotificationRecord): string {
    return `notify:${record.id}`;
  }

  private plan(record: NotificationRecord, at: Date): void {
    record.nextAttemptAt = at.toISOString();
    this.options.scheduler.at(this.key(record), at, this.options.timeScale, () => {
      const attempt = this.attempt(record);
      this.inFlight.add(attempt);
      void attempt.finally(() => this.inFlight.delete(attempt));
    });
  }

  private async attempt(record: NotificationRecord): Promise<void> {
    const { clock, schedule } = this.options;
    const attempt: NotificationAttempt = { at: clock.now().toISOString(), ok: false };
    try {
      const response = await fetch(record.url, {
        method: "POST",
        headers: { "content-type": `application/x-www-form-urlencoded; charset=${record.charset}` },
        body: encodeForm(record.fields, record.charset),
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.abort.signal]),
      });
      const body = await response.text();
      attempt.httpStatus = response.status;
      attempt.body = body.slice(0, 200);
      // Spec §3.1: exactly the 7 letters `success`, with HTTP 200; anything else is retried.
      attempt.ok = response.status === 200 && body === "success";
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      attempt.error = cause?.code ?? (error as Error).name ?? "error";
    }
    if (this.abort.signal.aborted) return;
    record.attempts.push(attempt);
    const n = record.attempts.length;
    if (attempt.ok) {
      record.status = "delivered";
      record.nextAttemptAt = undefined;
    } else if (record.retries && n <= schedule.length) {
      this.plan(record, new Date(Date.parse(attempt.at) + schedule[n - 1]!));
    } else {
      record.status = "failed";
      record.nextAttemptAt = undefined;
    }
    this.options.log(
      `notify ${record.kind} ${record.outTradeNo} attempt ${n} → ${attempt.ok ? "success" : (attempt.error ?? `HTTP ${attempt.httpStatus} ${JSON.stringify(attempt.body?.slice(0, 30))}`)}${record.status === "failed" ? " (giving up)" : ""}`,
    );
    this.followUps(record, attempt.ok);
    this.options.onChange();
  }

  /** Fault follow-ups: the stale notification after the first attempt, duplicates after acknowledgement. */
  private followUps(record: NotificationRecord, delivered: boolean): void {
    if (record.pendingStale) {
      const fields = record.pendingStale;
      record.pendingStale = undefined;
      this.enqueue({ partner: record.partner, kind: "stale", outTradeNo: record.outTradeNo, url: record.url, fields, charset: record.charset });
    }
    if (delivered && record.pendingDuplicates) {
      const count = record.pendingDuplicates;
      record.pendingDuplicates = undefined;
      for (let i = 0; i < count; i++) {
        const copy = this.enqueue({
          partner: record.partner,
          kind: record.kind,
          outTradeNo: record.outTradeNo,
          partnerRefundId: record.partnerRefundId,
          url: record.url,
          fields: record.fields,
          charset: record.charset,
        });
        copy.retries = false;
        copy.duplicateOf = record.id;
      }
    }
  }
}
