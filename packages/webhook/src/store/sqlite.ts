import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Db, Param, Queryable, Row } from "./db";

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous and the service
 * shares one connection, so transactions take turns through a promise queue: a transaction's
 * statements never interleave with another's.
 */
export async function openSqlite(file: string): Promise<Db> {
  const { default: Database } = await import("better-sqlite3");
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db: BetterSqlite3.Database = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL keeps every commit across a process crash (kill -9); only a power loss can take the last ones.
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");

  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const direct: Queryable = {
    async all<T extends Row>(sql: string, params: Param[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: Param[] = []) {
      const statement = prepare(sql);
      if (statement.reader) {
        statement.all(...params);
        return 0;
      }
      return statement.run(...params).changes;
    },
  };

  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };

  return {
    dialect: "sqlite",
    forUpdate: "",
    skipLocked: "",
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    tx: (work) =>
      exclusive(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await work(direct);
          db.exec("COMMIT");
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw error;
        }
      }),
    close: () =>
      exclusive(async () => {
        db.close();
      }),
  };
}
