import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Db, Param, Queryable, Row } from "./db";

/**
 * `better-sqlite3` is an optional dependency (a native build): a PostgreSQL-only deployment can
 * install without it (`npm install --omit=optional`). Loaded only when the embedded store is used.
 */
export async function loadBetterSqlite3(
  importer: () => Promise<{ default: typeof BetterSqlite3 }> = () => import("better-sqlite3"),
): Promise<typeof BetterSqlite3> {
  try {
    return (await importer()).default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new Error(
        "DATA_DIR: the embedded SQLite store needs the optional package better-sqlite3, which is not installed; install it (npm install better-sqlite3) or set DATABASE_URL to use PostgreSQL",
      );
    }
    throw error;
  }
}

/**
 * The embedded store: one SQLite file in WAL mode, one connection.
 *
 * Group commit: units of work (a statement, or a `tx`) run one at a time, each inside a savepoint
 * of a shared transaction, and the transaction commits once the units queued so far are done.
 * A unit's promise settles only after that commit, so nothing is reported (or answered to a
 * client) before it is on disk, yet concurrent requests share one commit instead of writing the
 * same index pages once each. A unit that throws is rolled back to its savepoint alone.
 */
export async function openSqlite(file: string): Promise<Db> {
  const Database = await loadBetterSqlite3();
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

  /** Units run strictly one after another (their statements never interleave). */
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };

  /** The open group: settled when its transaction commits (or fails to). */
  let group: { waiters: Array<() => void>; failures: Array<(error: unknown) => void> } | undefined;
  const commitGroup = () =>
    serial(async () => {
      const current = group;
      group = undefined;
      if (!current) return;
      try {
        db.exec("COMMIT");
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        for (const fail of current.failures) fail(error);
        return;
      }
      for (const done of current.waiters) done();
    });

  let savepoint = 0;
  const unit = <T>(work: (q: Queryable) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      void serial(async () => {
        try {
          if (!group) {
            db.exec("BEGIN IMMEDIATE");
            group = { waiters: [], failures: [] };
            // After everything already queued: later units start the next group.
            setImmediate(() => void commitGroup());
          }
          const name = `u${++savepoint}`;
          db.exec(`SAVEPOINT ${name}`);
          let value: T;
          try {
            value = await work(direct);
          } catch (error) {
            db.exec(`ROLLBACK TO ${name}`);
            db.exec(`RELEASE ${name}`);
            throw error;
          }
          db.exec(`RELEASE ${name}`);
          group.waiters.push(() => resolve(value));
          group.failures.push(reject);
        } catch (error) {
          reject(error);
        }
      });
    });

  return {
    dialect: "sqlite",
    forUpdate: "",
    skipLocked: "",
    all: (sql, params) => unit((q) => q.all(sql, params)),
    run: (sql, params) => unit((q) => q.run(sql, params)),
    tx: (work) => unit(work),
    close: async () => {
      await commitGroup();
      await serial(async () => db.close());
    },
  };
}
