/**
 * A sweep pass claims its rows for a lease, then works through them one at a time. A row started
 * late in a long pass (a slow gateway, many rows) could still be running when its lease ends and
 * another instance claims it, so two sends of one refund or cancel would overlap. The pass
 * therefore starts rows only inside a window, and the lease is the window plus the longest one row
 * can take: every row started is finished before its lease ends. Rows not started stay claimed
 * until the lease ends, then the next pass (here or elsewhere) takes them.
 */
export interface SweepWindow {
  /** How long the claimed rows are hidden from other passes. */
  leaseMs: number;
  /** Rows are started only until `claimedAt + startWithinMs`. */
  startWithinMs: number;
}

/** The window and lease for a pass whose rows each take at most `rowBudgetMs`. */
export function sweepWindow(sweepIntervalMs: number, rowBudgetMs: number): SweepWindow {
  const startWithinMs = Math.max(sweepIntervalMs, rowBudgetMs);
  return { startWithinMs, leaseMs: startWithinMs + rowBudgetMs };
}

/**
 * Runs `run` for each item in order while `now()` is within `startBy`; returns how many ran. The
 * rest are left alone (their lease ends, and a later pass claims them again).
 */
export async function runWithinWindow<T>(items: readonly T[], startBy: number, now: () => number, run: (item: T) => Promise<void>): Promise<number> {
  let ran = 0;
  for (const item of items) {
    if (now() > startBy) break;
    await run(item);
    ran++;
  }
  return ran;
}
