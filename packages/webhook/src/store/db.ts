/**
 * The database seam: one small async interface over SQLite (better-sqlite3, embedded, the default)
 * and PostgreSQL (pg, when `DATABASE_URL` is set). Queries are written once, with `?`
 * placeholders, in the SQL both understand; the two places that differ (row locks) are asked of
 * the dialect.
 */

export type Row = Record<string, unknown>;
/** A value bound to a `?`; an array only on PostgreSQL (bound as an array, for `unnest`). */
export type Param = string | number | null | readonly (string | number | null)[];

/** What a query can run on: the database itself, or an open transaction. */
export interface Queryable {
  all<T extends Row = Row>(sql: string, params?: Param[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: Param[]): Promise<number>;
}

export interface Db extends Queryable {
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `work` in one transaction (committed when it resolves, rolled back when it throws). Only
   * database calls belong inside: never a network call, the transaction holds locks.
   */
  tx<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /** ` FOR UPDATE` on PostgreSQL; SQLite's write transaction already excludes other writers. */
  readonly forUpdate: string;
  /** ` FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances claim different rows. */
  readonly skipLocked: string;
  /** True for the `Db` of one open transaction (`Store.transaction`): its statements are not batched. */
  readonly inTransaction?: boolean;
  close(): Promise<void>;
}

/** Rewrites `?` placeholders as `$1, $2, ...` for PostgreSQL (queries here hold no `?` in literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
