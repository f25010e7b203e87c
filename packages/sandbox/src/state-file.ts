/**
 * The optional state file: the ledger, the notifications, the clock offset, the id sequence and
 * the keys the sandbox generated, as one JSON document written atomically after each change, so a
 * restarted sandbox carries on where it stopped (and clients keep the same test keys).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AlipayConfigError } from "@alipayhk/core";
import type { TradeRecord } from "./ledger";
import type { NotificationRecord } from "./notifier";
import type { GeneratedKeys } from "./options";

export const STATE_FORMAT = "alipayhk-sandbox-state";

export interface StateSnapshot {
  format: typeof STATE_FORMAT;
  version: 1;
  savedAt: string;
  clockOffsetMs: number;
  seq: number;
  keys: GeneratedKeys;
  trades: TradeRecord[];
  notifications: NotificationRecord[];
}

/** Reads the state file; undefined when it does not exist yet. */
export function readState(path: string): StateSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new AlipayConfigError(`stateFile: ${path} is not valid JSON (${(error as Error).message.slice(0, 80)}); move it away to start empty`);
  }
  const state = parsed as Partial<StateSnapshot>;
  if (state.format !== STATE_FORMAT || state.version !== 1 || !Array.isArray(state.trades)) {
    throw new AlipayConfigError(`stateFile: ${path} is not a sandbox state file (expected format "${STATE_FORMAT}" version 1)`);
  }
  return {
    ...state,
    notifications: state.notifications ?? [],
    keys: state.keys ?? {},
    seq: state.seq ?? 0,
    clockOffsetMs: state.clockOffsetMs ?? 0,
  } as StateSnapshot;
}

/** Writes the snapshot after changes, coalescing bursts; `flush` writes now. */
export class StateWriter {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => StateSnapshot,
    private readonly onError: (error: unknown) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), 20);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify(this.snapshot()), "utf8");
      renameSync(`${this.path}.tmp`, this.path);
    } catch (error) {
      this.onError(error);
    }
  }
}
