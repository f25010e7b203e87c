import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "./db";
import { openPostgres } from "./postgres";
import { migrate } from "./schema";
import { Store } from "./store";

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

describe("Store on PostgreSQL: the hot statements of concurrent requests share one statement (group commit)", () => {
  const database = `alipayhk_webhook_batch_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER });
  let db: Db;
  let store: Store;
  const STALE_MS = 60_000;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(SERVER);
    url.pathname = `/${database}`;
    db = await openPostgres(url.toString(), { max: 4 });
    await migrate(db);
    store = new Store(db, { endpoints: [], partnerTransIdPrefix: "" });
  });

  afterAll(async () => {
    await db?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  const qr = (orderId: string, amount = 1230) => ({ orderId, mode: "qr" as const, amount, currency: "HKD", description: `Order ${orderId}` });

  it("idempotency keys taken together keep their meaning: one owner per key, replay, in progress, mismatch, stale takeover", async () => {
    const now = Date.now();
    // Set up apart: a finished key, an unfinished one, and one left by a dead instance.
    expect(await store.beginIdempotent("done", "f-done", now, STALE_MS)).toEqual({ kind: "new" });
    await store.finishIdempotent("done", 201, '{"order_id":"done"}');
    expect(await store.beginIdempotent("busy", "f-busy", now, STALE_MS)).toEqual({ kind: "new" });
    expect(await store.beginIdempotent("dead", "f-dead", now - STALE_MS - 1, STALE_MS)).toEqual({ kind: "new" });

    const before = store.hot!.statements;
    const fresh = Array.from({ length: 12 }, (_, i) => `fresh-${i}`);
    const answers = await Promise.all([
      ...fresh.map((key) => store.beginIdempotent(key, `f-${key}`, now, STALE_MS)),
      // The same new key twice at once: one of them owns it.
      store.beginIdempotent("twice", "f-twice", now, STALE_MS),
      store.beginIdempotent("twice", "f-twice", now, STALE_MS),
      store.beginIdempotent("done", "f-done", now, STALE_MS),
      store.beginIdempotent("done", "f-other", now, STALE_MS),
      store.beginIdempotent("busy", "f-busy", now, STALE_MS),
      store.beginIdempotent("dead", "f-dead", now, STALE_MS),
    ]);
    expect(answers.slice(0, 12)).toEqual(fresh.map(() => ({ kind: "new" })));
    expect(
      answers
        .slice(12, 14)
        .map((a) => a.kind)
        .sort(),
    ).toEqual(["in_progress", "new"]);
    expect(answers.slice(14)).toEqual([
      { kind: "replay", statusCode: 201, body: '{"order_id":"done"}' },
      { kind: "mismatch" },
      { kind: "in_progress" },
      { kind: "new" },
    ]);
    // 17 distinct keys in one statement; the second "twice" waited for the next one.
    expect(store.hot!.statements - before).toBe(2);

    const finishedBefore = store.hot!.statements;
    await Promise.all(fresh.map((key, i) => store.finishIdempotent(key, 201, JSON.stringify({ n: i, text: `a "quoted", {braced} \\ value ${key}` }))));
    expect(store.hot!.statements - finishedBefore).toBe(1);
    const replays = await Promise.all(fresh.map((key) => store.beginIdempotent(key, `f-${key}`, now, STALE_MS)));
    expect(replays).toEqual(
      fresh.map((key, i) => ({ kind: "replay", statusCode: 201, body: JSON.stringify({ n: i, text: `a "quoted", {braced} \\ value ${key}` }) })),
    );
  });

  it("two requests racing for one new order id on separate connections: one creates it, the other finds it, never a unique violation", async () => {
    const plain = new Store(db, { endpoints: [], partnerTransIdPrefix: "", batching: false });
    const now = Date.now();
    for (let i = 0; i < 150; i++) {
      const id = `race-${i}`;
      const results = await Promise.all([
        plain.reserveOrder(qr(id), now, now + 60_000, now + 900_000),
        plain.reserveOrder(qr(id), now, now + 60_000, now + 900_000),
      ]);
      expect(results.map((r) => r.kind).sort()).toEqual(["created", "existing"]);
    }
  });

  it("new orders reserved together: each created once, the same id twice gives one order, other terms a conflict", async () => {
    const now = Date.now();
    const ids = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
    const before = store.hot!.statements;
    const results = await Promise.all([
      ...ids.map((id) =>
        store.reserveOrder({ ...qr(id), notifyUrl: id === "batch-3" ? "https://shop.example/hooks" : undefined }, now, now + 60_000, now + 900_000),
      ),
      store.reserveOrder(qr("batch-same"), now, now + 60_000, now + 900_000),
      store.reserveOrder(qr("batch-same"), now, now + 60_000, now + 900_000),
      store.reserveOrder(qr("batch-same", 999), now, now + 60_000, now + 900_000),
    ]);
    expect(results.slice(0, 10).map((r) => [r.kind, r.order.orderId, r.order.partnerTransId, r.order.amount, r.order.status])).toEqual(
      ids.map((id) => ["created", id, id, 1230, "pending"]),
    );
    expect(results[3]!.order.notifyUrl).toBe("https://shop.example/hooks");
    expect(results[0]!.order.notifyUrl).toBeUndefined();
    expect(
      results
        .slice(10)
        .map((r) => r.kind)
        .sort(),
    ).toEqual(["conflict", "created", "existing"]);
    expect(store.hot!.statements - before).toBeLessThan(results.length);
    const [counted] = await db.all<{ count: number }>("SELECT CAST(COUNT(*) AS BIGINT) AS count FROM orders WHERE order_id LIKE 'batch-%'");
    expect(counted?.count).toBe(11);
  });

  it("a row the server refuses fails alone: the rest of its batch is written", async () => {
    const now = Date.now();
    // Order "clash" on its second barcode attempt holds the trade id "clash:2"...
    await store.reserveOrder({ ...qr("clash"), mode: "barcode" }, now, now, undefined);
    await store.markFailed("clash", "DECLINED", "declined", now);
    expect((await store.reserveOrder({ ...qr("clash"), mode: "barcode" }, now, now, undefined)).order.partnerTransId).toBe("clash:2");
    // ...so a new order with the id "clash:2" breaks the unique trade id, beside good ones.
    const results = await Promise.allSettled([
      store.reserveOrder(qr("ok-1"), now, now + 60_000, now + 900_000),
      store.reserveOrder(qr("clash:2"), now, now + 60_000, now + 900_000),
      store.reserveOrder(qr("ok-2"), now, now + 60_000, now + 900_000),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await store.getOrder("ok-1"))?.status).toBe("pending");
    expect(await store.getOrder("clash:2")).toBeUndefined();
    expect((await store.getOrder("ok-2"))?.status).toBe("pending");
  });

  it("QR codes saved together: each order gets its own, and the row comes back", async () => {
    const now = Date.now();
    const ids = Array.from({ length: 8 }, (_, i) => `batch-${i}`);
    const before = store.hot!.statements;
    const saved = await Promise.all(ids.map((id, i) => store.saveQr(id, `https://qr.alipay.com/${id}`, now + 1000 + i, now + i)));
    expect(store.hot!.statements - before).toBe(1);
    expect(saved.map((o) => [o.orderId, o.qrCode, o.expiresAt, o.updatedAt, o.status, o.amount])).toEqual(
      ids.map((id, i) => [id, `https://qr.alipay.com/${id}`, now + 1000 + i, now + i, "pending", 1230]),
    );
    expect((await store.getOrder("batch-9"))?.qrCode).toBeUndefined();
  });

  it("the four writes of different requests go in one statement, each answered as if alone", async () => {
    const now = Date.now();
    await store.beginIdempotent("mixed-finish", "f", now, STALE_MS);
    await store.reserveOrder(qr("mixed-qr"), now, now + 60_000, now + 900_000);
    const before = store.hot!.statements;
    const [taken, taken2, , created, existing, saved] = await Promise.all([
      store.beginIdempotent("mixed-new", "f", now, STALE_MS),
      store.beginIdempotent("mixed-finish", "f", now, STALE_MS),
      store.finishIdempotent("mixed-finish", 201, '{"ok":true}'),
      store.reserveOrder(qr("mixed-order"), now, now + 60_000, now + 900_000),
      store.reserveOrder(qr("mixed-qr"), now, now + 60_000, now + 900_000),
      store.saveQr("mixed-qr", "https://qr.alipay.com/mixed", now + 900_000, now + 1),
    ]);
    // One statement for all six; the existing order's check runs alone afterwards.
    expect(store.hot!.statements - before).toBe(1);
    expect(taken).toEqual({ kind: "new" });
    // The key existed, so its check reads the row after the batch committed: the finished answer.
    expect(taken2).toEqual({ kind: "replay", statusCode: 201, body: '{"ok":true}' });
    expect(created).toMatchObject({ kind: "created", order: { orderId: "mixed-order", status: "pending", amount: 1230 } });
    expect(existing).toMatchObject({ kind: "existing", order: { orderId: "mixed-qr" } });
    expect(saved).toMatchObject({
      orderId: "mixed-qr",
      qrCode: "https://qr.alipay.com/mixed",
      expiresAt: now + 900_000,
      updatedAt: now + 1,
      amount: 1230,
      reversed: false,
    });
  });
});
