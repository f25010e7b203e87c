import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvLine, CsvSyntaxError, readCsv } from "./csv";

describe("readCsv", () => {
  it("reads quoted fields with commas, doubled quotes and newlines; CRLF; skips blank lines", () => {
    const rows = readCsv('id,note\r\n1,"a, ""b""\nc"\r\n\r\n2,plain\n');
    expect(rows).toEqual([
      { line: 1, fields: ["id", "note"] },
      { line: 2, fields: ["1", 'a, "b"\nc'] },
      { line: 5, fields: ["2", "plain"] },
    ]);
  });

  it("reports an unclosed quote with its line", () => {
    expect(() => readCsv('id\n"open\n')).toThrow(CsvSyntaxError);
    try {
      readCsv('id\n"open\n');
    } catch (err) {
      expect(err).toMatchObject({ line: 2, column: 1 });
    }
  });
});

describe("csvLine", () => {
  it("quotes only what needs it, and reads back", () => {
    const values = ["plain", "a,b", 'say "hi"', " padded", "line\nbreak", ""];
    const line = csvLine(values);
    expect(line).toBe('plain,"a,b","say ""hi"""," padded","line\nbreak",\n');
    expect(readCsv(line)[0]!.fields).toEqual(values);
  });
});

describe("csvLine and readCsv", () => {
  it("round-trip any rows of text", () => {
    const value = fc.array(fc.constantFrom("a", "1", " ", ",", '"', "\n", "\r", "é", "|"), { maxLength: 8 }).map((c) => c.join(""));
    const row = fc.array(value, { minLength: 1, maxLength: 5 }).filter((r) => !(r.length === 1 && r[0] === ""));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 6 }), (rows) => {
        expect(readCsv(rows.map(csvLine).join("")).map((r) => r.fields)).toEqual(rows);
      }),
      { numRuns: 1000 },
    );
  });
});
