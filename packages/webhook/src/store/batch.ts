/**
 * Group commit for one hot PostgreSQL statement: the calls made while the previous batches of the
 * same statement are still on their way are sent together as ONE statement (arrays through
 * `unnest`), so concurrent requests share one round trip, one socket write and one commit (one
 * WAL flush) instead of paying for each. Every caller's promise settles only when the statement
 * holding its row has committed, so nothing is answered before it is durable, exactly as alone.
 *
 * At low load a call waits only for the current event-loop turn to end (`setImmediate`): a lone
 * call is sent alone, as the plain single-row statement.
 */
export interface BatchOptions {
  /** Batches of this statement on their way at once (each holds one pooled connection). Default 2. */
  maxInFlight?: number;
  /** Rows per batch. Default 64. */
  maxBatch?: number;
}

interface Waiting<I, O> {
  item: I;
  key: string;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class Batcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  /** Statements sent (batches and single calls alike), for tests and the curious. */
  statements = 0;

  /**
   * @param key identifies the row an item writes: two items with one key never share a batch (a
   *   statement cannot report which of two equal rows it wrote), the second waits for the next one.
   * @param many runs the batch as one statement; results in the order of `items`.
   * @param one runs one item as the plain single-row statement.
   */
  constructor(
    private readonly key: (item: I) => string,
    private readonly many: (items: I[]) => Promise<O[]>,
    private readonly one: (item: I) => Promise<O>,
    options: BatchOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, key: this.key(item), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // After the calls of this turn: they join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) void this.send(this.take());
    });
  }

  /** The next batch: queue order, one item per key, at most `maxBatch`; the rest stays queued in order. */
  private take(): Waiting<I, O>[] {
    const batch: Waiting<I, O>[] = [];
    const keys = new Set<string>();
    const rest: Waiting<I, O>[] = [];
    for (const waiting of this.queue) {
      if (batch.length < this.maxBatch && !keys.has(waiting.key)) {
        keys.add(waiting.key);
        batch.push(waiting);
      } else {
        rest.push(waiting);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async send(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight++;
    try {
      this.statements++;
      if (batch.length === 1) {
        await this.one(batch[0]!.item).then(batch[0]!.resolve, batch[0]!.reject);
        return;
      }
      // Sorted by key: batches that share rows lock them in the same order.
      batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      let results: O[];
      try {
        results = await this.many(batch.map((waiting) => waiting.item));
      } catch (error) {
        if (!isStatementError(error)) {
          for (const waiting of batch) waiting.reject(error);
          return;
        }
        // The server refused the statement (one row broke a constraint, a deadlock...) and rolled
        // it back whole: each item is run alone, so only the one at fault fails.
        this.statements += batch.length;
        await Promise.all(batch.map((waiting) => this.one(waiting.item).then(waiting.resolve, waiting.reject)));
        return;
      }
      batch.forEach((waiting, i) => {
        waiting.resolve(results[i] as O);
      });
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

/**
 * An error the server reported for the statement (it has a SQLSTATE and a severity): the
 * statement changed nothing. A lost connection is not one: its statement may have committed.
 */
function isStatementError(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}
