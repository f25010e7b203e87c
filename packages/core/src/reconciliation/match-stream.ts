import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MinorUnits } from "../amount";
import { MatchIndex, RecordTally, type AlipayEntry, type ReconDiscrepancy, type ReconMatch, type ReconMatchOptions } from "./match";
import type { StoreOrder, StoreRefund } from "./orders";
import type { ReconFileKind, ReconRecord, ReconRecordType } from "./records";
import type { ReconTotals } from "./totals";

/**
 * The store's side for `matchReconciliationStream`: orders and refunds as they come out of a
 * database cursor or an export reader, each read once. A `StoreLedger` (arrays) is one too.
 */
export interface ReconLedgerSource {
  readonly orders: Iterable<StoreOrder> | AsyncIterable<StoreOrder>;
  readonly refunds: Iterable<StoreRefund> | AsyncIterable<StoreRefund>;
}

/** Where `matchReconciliationStream` hands each finding, as soon as it is known. A returned promise is awaited. */
export interface ReconMatchSink {
  matched?(match: ReconMatch): void | Promise<void>;
  discrepancy?(found: ReconDiscrepancy): void | Promise<void>;
}

/** Options of `matchReconciliationStream`. */
export interface ReconStreamMatchOptions extends ReconMatchOptions {
  /** Where the temporary spill files go (removed before returning); default the OS temp directory. */
  readonly tempDir?: string;
  /** Number of partitions; default one per 5,000 records, from 16 to 1,000 (each an open file while they are written). Memory follows the partition size, not the input. */
  readonly partitions?: number;
}

/** What `matchReconciliationStream` returns: the counts of `ReconMatchReport`, the findings having gone to the sink. */
export interface ReconMatchSummary {
  readonly days: readonly string[] | "all";
  readonly records: number;
  readonly storeOrders: number;
  readonly storeRefunds: number;
  readonly matched: number;
  readonly missingFromFile: number;
  readonly orphans: number;
  readonly amountMismatches: number;
  readonly refundsNotExecuted: number;
  readonly statusMismatches: number;
  readonly duplicates: number;
  readonly outsidePeriod: { readonly orders: number; readonly refunds: number };
  readonly totals: ReconTotals;
  readonly totalsSource: ReconFileKind | null;
  readonly discrepancyCount: number;
}

const KIND_COUNT = {
  missing_from_file: "missingFromFile",
  orphan: "orphans",
  amount_mismatch: "amountMismatches",
  refund_not_executed: "refundsNotExecuted",
  status_mismatch: "statusMismatches",
  duplicate: "duplicates",
} as const;

type SpilledEntry = [
  kind: 0 | 1,
  type: ReconRecordType,
  partnerTransactionId: string,
  transactionId: string,
  amount: MinorUnits,
  currency: string,
  file: number,
  line: number,
];

/**
 * `matchReconciliation` in bounded memory, for files and stores of millions of entries: the same
 * findings (the same matches and discrepancies, the same counts and totals), handed to `sink` one
 * at a time instead of gathered in a report.
 *
 * How: the records are spilled to a temporary file as they stream in; the ids that can concern
 * each other (an order id, its payments' transaction ids, the reversals and refunds naming either)
 * are joined into groups with a union-find over hashed ids (a collision only joins two groups,
 * never splits one); records and store entries are then written to partitions by group, and each
 * partition is matched alone with the same code as `matchReconciliation`. Peak memory is one
 * partition plus 4 bytes per hash slot (4 slots per record), not the whole input.
 *
 * Findings come partition by partition: within a partition, duplicates in file order, then the
 * store's orders and refunds in their order, then orphans. The order across partitions is fixed
 * for a given input, but it is not the file's or the store's.
 *
 * @example
 * const file = await openReconciliationFile(path);
 * if (file.outcome === "records") {
 *   const summary = await matchReconciliationStream(file, { orders: db.ordersCursor(), refunds: db.refundsCursor() }, {
 *     discrepancy: (found) => out.write(`${JSON.stringify(found)}\n`),
 *   });
 *   process.exitCode = summary.discrepancyCount > 0 ? 1 : 0;
 * }
 */
export async function matchReconciliationStream(
  records: AsyncIterable<ReconRecord> | Iterable<ReconRecord>,
  ledger: ReconLedgerSource,
  sink: ReconMatchSink,
  options: ReconStreamMatchOptions = {},
): Promise<ReconMatchSummary> {
  const dir = mkdtempSync(join(options.tempDir ?? tmpdir(), "alipayhk-recon-match-"));
  const writers: LineWriter[] = [];
  try {
    return await run(records, ledger, sink, options, dir, (path) => {
      const writer = new LineWriter(path);
      writers.push(writer);
      return writer;
    });
  } finally {
    // A source or a sink that threw leaves files open: close them before removing them.
    for (const writer of writers) writer.abandon();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(
  records: AsyncIterable<ReconRecord> | Iterable<ReconRecord>,
  ledger: ReconLedgerSource,
  sink: ReconMatchSink,
  options: ReconStreamMatchOptions,
  dir: string,
  writer: (path: string) => LineWriter,
): Promise<ReconMatchSummary> {
  // 1. Stream the records once: totals, days, and a compact copy of each on disk.
  const tally = new RecordTally();
  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const spillPath = join(dir, "records.jsonl");
  const spill = writer(spillPath);
  for await (const record of records) {
    tally.add(record);
    let file = fileIndex.get(record.file);
    if (file === undefined) {
      file = files.push(record.file) - 1;
      fileIndex.set(record.file, file);
    }
    const spilled: SpilledEntry = [
      record.kind === "settlement" ? 1 : 0,
      record.type,
      record.partnerTransactionId,
      record.transactionId,
      Math.abs(record.amount),
      record.currency,
      file,
      record.line,
    ];
    // The two ids' hashes ahead of the entry, so the next passes need not parse it.
    spill.write(`${hash(record.partnerTransactionId)},${hash(record.transactionId)},${JSON.stringify(spilled)}`);
  }
  spill.close();
  const days = tally.days(options);

  // 2. Join the ids each record links (its partner id and Alipay's transaction id) into groups.
  const groups = new HashedUnionFind(tally.records * 4);
  for await (const line of readLines(spillPath)) {
    const comma = line.indexOf(",");
    groups.union(Number(line.slice(0, comma)), Number(line.slice(comma + 1, line.indexOf(",", comma + 1))));
  }

  // 3. Write records, then orders and refunds, to the partition of their group.
  const partitionCount = Math.max(1, Math.floor(options.partitions ?? Math.min(1000, Math.max(16, Math.ceil(tally.records / 5_000)))));
  const partitions = Array.from({ length: partitionCount }, (_, i) => writer(join(dir, `p${i}.jsonl`)));
  const partitionOf = (idHash: number): LineWriter => partitions[groups.find(idHash) % partitionCount]!;
  for await (const line of readLines(spillPath)) {
    const comma = line.indexOf(",");
    partitionOf(Number(line.slice(0, comma))).write(`e${line.slice(line.indexOf(",", comma + 1) + 1)}`);
  }
  rmSync(spillPath, { force: true });
  let storeOrders = 0;
  for await (const order of ledger.orders) {
    storeOrders++;
    partitionOf(hash(order.id)).write(`o${JSON.stringify([order.id, order.amount, order.currency, order.status, order.date])}`);
  }
  let storeRefunds = 0;
  for await (const refund of ledger.refunds) {
    storeRefunds++;
    partitionOf(hash(refund.id)).write(`r${JSON.stringify([refund.id, refund.orderId, refund.amount, refund.currency, refund.status, refund.date])}`);
  }
  for (const partition of partitions) partition.close();
  groups.release();

  // 4. Match each partition alone.
  const counts = { matched: 0, missingFromFile: 0, orphans: 0, amountMismatches: 0, refundsNotExecuted: 0, statusMismatches: 0, duplicates: 0 };
  const outsidePeriod = { orders: 0, refunds: 0 };
  let pending: Promise<void>[] = [];
  const deliver = (result: void | Promise<void> | undefined): void => {
    if (result !== undefined) pending.push(result);
  };
  for (const partition of partitions) {
    const index = new MatchIndex();
    const orders: StoreOrder[] = [];
    const refunds: StoreRefund[] = [];
    for (const line of readFileSync(partition.path, "utf8").split("\n")) {
      if (line === "") continue;
      const tag = line.charCodeAt(0);
      const fields = JSON.parse(line.slice(1)) as unknown[];
      if (tag === 101 /* e */) {
        const [kind, type, partnerTransactionId, transactionId, amount, currency, file, at] = fields as SpilledEntry;
        const entry: AlipayEntry = {
          kind: kind === 1 ? "settlement" : "transaction",
          type,
          partnerTransactionId,
          transactionId,
          amount,
          currency,
          file: files[file]!,
          line: at,
          echo: false,
        };
        const duplicate = index.add(entry);
        if (duplicate !== null) {
          counts.duplicates++;
          deliver(sink.discrepancy?.(duplicate));
        }
      } else if (tag === 111 /* o */) {
        const [id, amount, currency, status, date] = fields as [string, number, string, StoreOrder["status"], string | null];
        orders.push({ id, amount, currency, status, date });
      } else {
        const [id, orderId, amount, currency, status, date] = fields as [string, string | null, number, string, StoreRefund["status"], string | null];
        refunds.push({ id, orderId, amount, currency, status, date });
      }
    }
    rmSync(partition.path, { force: true });
    index.settle(orders, refunds, days, {
      matched: (match) => {
        counts.matched++;
        deliver(sink.matched?.(match));
      },
      discrepancy: (found) => {
        counts[KIND_COUNT[found.kind]]++;
        deliver(sink.discrepancy?.(found));
      },
      outsidePeriod: (subject) => {
        if (subject === "order") outsidePeriod.orders++;
        else outsidePeriod.refunds++;
      },
    });
    if (pending.length > 0) {
      await Promise.all(pending);
      pending = [];
    }
  }

  return {
    days,
    records: tally.records,
    storeOrders,
    storeRefunds,
    ...counts,
    outsidePeriod,
    ...tally.totals(),
    discrepancyCount:
      counts.missingFromFile + counts.orphans + counts.amountMismatches + counts.refundsNotExecuted + counts.statusMismatches + counts.duplicates,
  };
}

/**
 * Union-find over ids reduced to hash slots: memory is one Int32 per slot whatever the ids. Two
 * ids in one slot are joined, which can only make a group larger (never wrong); with 4 slots per
 * record the groups stay small.
 */
class HashedUnionFind {
  private parent: Int32Array;
  private readonly mask: number;

  constructor(minSlots: number) {
    let size = 1024;
    while (size < minSlots) size *= 2;
    this.mask = size - 1;
    this.parent = new Int32Array(size);
    for (let i = 0; i < size; i++) this.parent[i] = i;
  }

  /** The group of an id, given by its `hash`. */
  find(idHash: number): number {
    return this.root(idHash & this.mask);
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }

  release(): void {
    this.parent = new Int32Array(0);
  }

  private root(slot: number): number {
    const parent = this.parent;
    while (parent[slot] !== slot) {
      parent[slot] = parent[parent[slot]!]!; // path halving
      slot = parent[slot]!;
    }
    return slot;
  }
}

/** FNV-1a over the UTF-16 code units, with a final mix so the low bits spread. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Appends lines to a file through a fixed byte buffer (synchronous writes: the matcher owns the
 * file). Bytes, not a growing string: a hundred partitions' worth of string buffers would leave
 * the garbage collector far behind.
 */
class LineWriter {
  private readonly buffer = Buffer.allocUnsafe(1 << 15);
  private used = 0;
  private closed = false;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  write(line: string): void {
    const room = this.buffer.length - this.used;
    // A UTF-16 unit is at most 3 bytes in UTF-8; the newline is one more.
    if (line.length * 3 + 1 > room) {
      this.flush();
      if (line.length * 3 + 1 > this.buffer.length) {
        writeSync(this.fd, `${line}\n`);
        return;
      }
    }
    this.used += this.buffer.write(line, this.used);
    this.buffer[this.used++] = 10;
  }

  close(): void {
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  /** Closes the file without writing what is buffered, unless closed already. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }
}

async function* readLines(path: string): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 16 })) {
    const text = rest + (chunk as string);
    const lines = text.split("\n");
    rest = lines.pop()!;
    for (const line of lines) if (line !== "") yield line;
  }
  if (rest !== "") yield rest;
}
