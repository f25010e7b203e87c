import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { HK_TRANSACTION_COLUMNS } from "@alipayhk/core/reconciliation";
import { PROGRESS_MIN_BYTES } from "../progress";
import { runReconCommand } from "./recon";

/** Path of one of core's reconciliation fixtures (the real-world layouts the parser is tested on). */
function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../core/src/reconciliation/fixtures/${name}`, import.meta.url));
}

class Collector extends Writable {
  text = "";
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(argv: string[], tty = false) {
  const stdout = new Collector();
  const stderr = new Collector(tty);
  const code = await runReconCommand(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const dir = mkdtempSync(join(tmpdir(), "recon-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLE = fixture("spec-sample-transaction.txt");
const HK_TRANSACTION = fixture("2088101122334455_transaction_20240102.txt");
const HK_SETTLEMENT = fixture("2088101122334455_settlement_20240103.txt");
const ORDERS = fixture("store-orders.csv");

function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.endsWith("\n")).toBe(true);
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).toMatch(pattern);
}

describe("recon summary", () => {
  it("--json prints records, count_by_type, amount_by_type and fee_total for the spec sample", async () => {
    const { code, stdout } = await run(["summary", SAMPLE, "--json"]);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({
      records: 4,
      count_by_type: { PAYMENT: 1, REVERSAL: 1, REFUND: 1, CANCEL: 1 },
      amount_by_type: { PAYMENT: "100.00", REVERSAL: "100.00", REFUND: "100.00", CANCEL: "100.00" },
      fee_total: "-6.00",
      fee_charged: "3.00",
      fee_returned: "9.00",
    });
    expect(json.files[0]).toMatchObject({ layout: "global-transaction", records: 4 });
  });

  it("sums several files and prints a readable table", async () => {
    const { code, stdout } = await run(["recon", "summary", HK_TRANSACTION, HK_SETTLEMENT]);
    expect(code).toBe(0);
    expect(stdout).toContain("Records: 9");
    expect(stdout).toMatch(/PAYMENT\s+6\s+957\.00/);
    expect(stdout).toMatch(/2024-01-03\s+4\s+478\.50\s+-20\.00\s+5\.50\s+453\.00/);
  });

  it("an empty file is no data: exit 0 with a note", async () => {
    const { code, stderr } = await run(["summary", fixture("empty.txt"), "--json"]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/empty\.txt: no data \(empty\)/);
  });
});

describe("recon parse", () => {
  it("--json prints a JSON array of records with decimal amounts", async () => {
    const { code, stdout } = await run(["parse", HK_TRANSACTION, fixture("acquirer-17.txt"), "--json"]);
    expect(code).toBe(0);
    const records = JSON.parse(stdout);
    expect(records).toHaveLength(8);
    expect(records[0]).toMatchObject({
      line: 3,
      type: "PAYMENT",
      partner_transaction_id: "order-1001",
      amount: "120.00",
      fee: "1.44",
      payment_inst: "ALIPAYHK",
      settlement: null,
    });
    expect(records[7]).toMatchObject({ kind: "settlement", raw_type: "R", settlement: "86.94" });
  });

  it("--csv prints a column-name row and one row per record", async () => {
    const { code, stdout } = await run(["parse", SAMPLE, "--csv"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^file,line,kind,type,raw_type,partner_transaction_id,transaction_id,amount,fee,/);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toContain(",6,transaction,REFUND,REFUND,0004,201312020448,100.00,3.00,,HKD,2013-12-02 10:45:09,,,Refund,");
  });

  it("prints a readable listing by default", async () => {
    const { stdout } = await run(["parse", SAMPLE]);
    expect(stdout).toMatch(/global-transaction layout/);
    expect(stdout).toMatch(/6 REFUND\s+0004\s+100\.00\s+3\.00 HKD\s+2013-12-02 10:45:09/);
  });

  it("--json for a file with no data prints an empty array", async () => {
    const { code, stdout } = await run(["parse", fixture("empty.txt"), "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it("--keep-going reports bad lines as warnings and exits 1", async () => {
    const path = join(dir, "bad.txt");
    writeFileSync(
      path,
      [
        "Partner:1|Payment_time:2013-12-02|Total_count:2",
        HK_TRANSACTION_COLUMNS.join("|"),
        "x|y|1.0.0|0|HKD|2013-12-02 10:00:00|PAYMENT|||||||HKD|1|1|ALIPAYHK",
        "o|t|1.00|0|HKD|2013-12-02 10:00:00|PAYMENT|||||||HKD|1|1|ALIPAYHK",
      ].join("\n"),
    );
    const { code, stdout, stderr } = await run(["parse", path, "--json", "--keep-going"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toHaveLength(1);
    expect(stderr).toBe(`warning: ${path}:3: column 3 (Transaction_amount): expected a decimal amount like 100 or 100.00, got "1.0.0"\n`);
  });
});

describe("recon match", () => {
  it("exits 0 when the files and the store agree", async () => {
    const { code, stdout } = await run(["match", "--file", HK_TRANSACTION, "--file", HK_SETTLEMENT, "--orders", ORDERS]);
    expect(code).toBe(0);
    expect(stdout).toContain("No discrepancies.");
    expect(stdout).toMatch(/Matched\s+5/);
    expect(stdout).toMatch(/Fees \(from the settlement records\): 5\.50 \(charged 5\.74, returned 0\.24\)/);
  });

  it("exits 1 with the discrepancies, as a table and as JSON", async () => {
    const orders = join(dir, "orders.json");
    writeFileSync(
      orders,
      JSON.stringify([
        { id: "order-1001", amount: "120.00", currency: "HKD", status: "completed", date: "2024-01-02" },
        { id: "order-1002", amount: "58.00", currency: "HKD", status: "completed", date: "2024-01-02" },
        { id: "order-1099", amount: "10.00", currency: "HKD", status: "completed", date: "2024-01-02" },
        { type: "refund", id: "refund-1099-1", amount: "5.00", currency: "HKD", status: "succeeded", date: "2024-01-02" },
      ]),
    );
    const table = await run(["match", "--file", HK_TRANSACTION, "--orders", orders]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/missing_from_file\s+order-1099\s+10\.00/);
    expect(table.stdout).toMatch(/amount_mismatch\s+order-1002\s+58\.00\s+58\.50/);
    const json = await run(["match", HK_TRANSACTION, "--orders", orders, "--json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: false, discrepancy_count: 6, days: ["2024-01-02"] });
    expect(report.missing_from_file.map((d: { id: string }) => d.id)).toEqual(["order-1099"]);
    expect(report.refunds_not_executed.map((d: { id: string }) => d.id)).toEqual(["refund-1099-1"]);
    expect(report.orphans.map((d: { id: string }) => d.id)).toEqual(["order-1003", "refund-1001-1", "order-1004"]);
    expect(report.net_settlement_by_day).toEqual([{ date: "2024-01-02", records: 5, payments: "478.50", refunds: "-65.00", fees: "4.96", net: "408.54" }]);
  });

  it("holds store orders of an empty day's file to that day", async () => {
    const empty = join(dir, "2088101122334455_transaction_20240107.txt");
    writeFileSync(empty, "");
    const orders = join(dir, "day7.csv");
    writeFileSync(orders, "id,amount,currency,status,date\no-7,1.00,HKD,paid,2024-01-07\n");
    const { code, stdout } = await run(["match", "--file", empty, "--orders", orders, "--json"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).missing_from_file[0].id).toBe("o-7");
  });
});

describe("recon: bad input exits 2 with one line on stderr", () => {
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /expected a command: parse, summary or match/],
    ["an unknown command", ["merge"], /unknown command "merge"; expected parse, summary or match/],
    ["an unknown option", ["parse", SAMPLE, "--jsn"], /^alipayhk recon parse: .*--jsn.*; see "alipayhk recon parse --help"/],
    ["no file", ["summary"], /^alipayhk recon summary: expected at least one FILE/],
    ["a missing file", ["summary", join(dir, "nope.txt")], /^alipayhk recon summary: cannot read .*nope\.txt: no such file; expected a readable file/],
    ["a directory", ["summary", dir], /^alipayhk recon summary: cannot read .*recon-cli-.*: it is a directory; expected a file/],
    ["both --json and --csv", ["parse", SAMPLE, "--json", "--csv"], /--json and --csv: expected one output format, got both/],
    ["a bad --encoding", ["parse", SAMPLE, "--encoding", "latin1"], /--encoding "latin1": expected auto, utf8 or gbk/],
    [
      "an Alipay error body",
      ["summary", fixture("alipay-error.txt")],
      /alipay-error\.txt: Alipay sent an error instead of a reconciliation file: ILLEGAL_PARTNER/,
    ],
    ["match without --orders", ["match", "--file", SAMPLE], /expected --orders ORDERS \(the store export, \.csv or \.json\)/],
    ["match without --file", ["match", "--orders", ORDERS], /expected --file FILE/],
  ];
  for (const [what, argv, pattern] of cases) {
    it(what, async () => {
      const { code, stderr } = await run(argv);
      expect(code).toBe(2);
      expectOneLine(stderr, pattern);
    });
  }

  it("a bad line, naming file, line and column", async () => {
    const path = join(dir, "bad-line.txt");
    writeFileSync(path, `${HK_TRANSACTION_COLUMNS.join("|")}\no|t|1.00|0|HKD|2013-12-02 10:00:00|SALE|||||||HKD|1|1|ALIPAYHK\n`);
    const { code, stderr } = await run(["summary", path]);
    expect(code).toBe(2);
    expectOneLine(stderr, /bad-line\.txt:2: column 7 \(Transaction_type\): expected PAYMENT, REVERSAL, REVERSE, REFUND, CANCEL, P or R, got "SALE"/);
  });

  it("a bad store export, naming file, line and column", async () => {
    const orders = join(dir, "bad-orders.csv");
    writeFileSync(orders, "id,amount,currency,status\no-1,1.00,HKD,paid\no-2,abc,HKD,paid\n");
    const { code, stderr } = await run(["match", "--file", SAMPLE, "--orders", orders]);
    expect(code).toBe(2);
    expectOneLine(stderr, /bad-orders\.csv:3: column 2 \(amount\)/);
  });
});

describe("recon --help", () => {
  for (const command of ["parse", "summary", "match"]) {
    it(`${command} --help prints its usage and exits 0`, async () => {
      const { code, stdout } = await run([command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: alipayhk recon ${command} `));
    });
  }
  it("--help lists the commands", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/parse FILE\.\.\.[\s\S]*summary FILE\.\.\.[\s\S]*match --file/);
  });
});

describe("recon progress bar", () => {
  const big = join(dir, "2088000000000001_transaction_20240102.txt");
  const row = "order-000000|2024010222001400000|120.00|1.44|HKD|2024-01-02 09:15:02|PAYMENT||5812|Tea House|S1|Central|shopQrCode|HKD|120.00|1|ALIPAYHK\n";
  const rows = Math.ceil(PROGRESS_MIN_BYTES / row.length) + 1;

  it("draws on a TTY stderr for a large file, and clears its line at the end", async () => {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(big);
      out.on("error", reject);
      out.write(`Partner:2088000000000001|Payment_time:2024-01-02|Total_count:${rows}\n${HK_TRANSACTION_COLUMNS.join("|")}\n`);
      out.write(row.repeat(rows));
      out.end(resolve);
    });
    const { code, stdout, stderr } = await run(["summary", big, "--json"], true);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).records).toBe(rows);
    expect(stderr).toMatch(/\r…?.*\[#{30}\] 100% /);
    expect(stderr.endsWith("\r\u001b[2K")).toBe(true);
  });

  it("stays silent when stderr is not a TTY", async () => {
    const { stderr } = await run(["summary", big, "--json"], false);
    expect(stderr).toBe("");
  });
});
