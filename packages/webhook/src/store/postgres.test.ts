import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "./db";
import { openPostgres } from "./postgres";

/** The test server: 127.0.0.1:5432, user postgres, trust auth. Each run makes its own database and drops it. */
const SERVER = process.env.WEBHOOK_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

describe("openPostgres: prepared statements", () => {
  const database = `alipayhk_webhook_prepared_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER });
  let db: Db;
  let other: Db;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(SERVER);
    url.pathname = `/${database}`;
    // One connection each, so the second call surely meets the statement prepared by the first.
    db = await openPostgres(url.toString(), { max: 1 });
    other = await openPostgres(url.toString(), { max: 1 });
    await db.run("CREATE TABLE things (id TEXT PRIMARY KEY, amount BIGINT NOT NULL)");
  });

  afterAll(async () => {
    await db?.close();
    await other?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it("runs the same text again on the prepared statement, in and out of transactions", async () => {
    await db.run("INSERT INTO things (id, amount) VALUES (?, ?)", ["a", 1230]);
    await db.tx((q) => q.run("INSERT INTO things (id, amount) VALUES (?, ?)", ["b", 99]));
    expect(await db.all("SELECT * FROM things WHERE amount > ? ORDER BY id", [0])).toEqual([
      { id: "a", amount: 1230 },
      { id: "b", amount: 99 },
    ]);
  });

  it("keeps answering after another instance adds a column under a prepared SELECT *", async () => {
    expect(await db.all("SELECT * FROM things WHERE id = ?", ["a"])).toEqual([{ id: "a", amount: 1230 }]);
    // A newer instance migrates: the plan prepared above no longer has the table's columns.
    await other.run("ALTER TABLE things ADD COLUMN note TEXT");
    expect(await db.all("SELECT * FROM things WHERE id = ?", ["a"])).toEqual([{ id: "a", amount: 1230, note: null }]);
    expect(await db.all("SELECT * FROM things WHERE id = ?", ["b"])).toEqual([{ id: "b", amount: 99, note: null }]);
  });
});
