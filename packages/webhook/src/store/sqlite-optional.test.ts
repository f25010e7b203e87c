import { describe, expect, it } from "vitest";
import { loadBetterSqlite3 } from "./sqlite";

describe("the embedded store's optional native package", () => {
  it("missing (a PostgreSQL-only install, npm install --omit=optional): says what is missing and what to do instead", async () => {
    const missing = async () => {
      const error = new Error("Cannot find package 'better-sqlite3'") as NodeJS.ErrnoException;
      error.code = "ERR_MODULE_NOT_FOUND";
      throw error;
    };
    await expect(loadBetterSqlite3(missing)).rejects.toThrow(
      /^DATA_DIR: the embedded SQLite store needs the optional package better-sqlite3, which is not installed; install it \(npm install better-sqlite3\) or set DATABASE_URL to use PostgreSQL$/,
    );
  });

  it("present: loaded only when asked for", async () => {
    const Database = await loadBetterSqlite3();
    const db = new Database(":memory:");
    expect(db.prepare("SELECT 1 AS one").get()).toEqual({ one: 1 });
    db.close();
  });
});
