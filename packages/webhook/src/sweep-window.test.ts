import { describe, expect, it } from "vitest";
import { runWithinWindow, sweepWindow } from "./sweep-window";

describe("the sweep's window and lease", () => {
  it("leases the rows for the window plus one row's budget, the window at least one row's budget", () => {
    expect(sweepWindow(60_000, 20_000)).toEqual({ startWithinMs: 60_000, leaseMs: 80_000 });
    expect(sweepWindow(0, 95_000)).toEqual({ startWithinMs: 95_000, leaseMs: 190_000 });
  });

  it("starts no row after the window, so every row started ends before its lease", async () => {
    let clock = 1_000;
    const started: string[] = [];
    const { startWithinMs, leaseMs } = sweepWindow(60_000, 20_000);
    const claimedAt = clock;
    const ran = await runWithinWindow(
      ["a", "b", "c", "d"],
      claimedAt + startWithinMs,
      () => clock,
      async (row) => {
        started.push(row);
        clock += 20_000 + 10_000; // each row as slow as its budget allows, and more between them
        expect(clock - 10_000).toBeLessThanOrEqual(claimedAt + leaseMs);
      },
    );
    expect(started).toEqual(["a", "b", "c"]);
    expect(ran).toBe(3);
  });

  it("runs every row of a quick pass", async () => {
    const started: number[] = [];
    await runWithinWindow(
      [1, 2, 3],
      0,
      () => 0,
      async (row) => {
        started.push(row);
      },
    );
    expect(started).toEqual([1, 2, 3]);
  });
});
