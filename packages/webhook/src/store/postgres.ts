import type { Pool, PoolClient } from "pg";
import { numberedPlaceholders, type Db, type Param, type Queryable, type Row } from "./db";

const INT8 = 20;
const PREPARED_LIMIT = 200;

/**
 * The shared store: PostgreSQL through a pool. Several service instances can use one database:
 * work is claimed with `FOR UPDATE SKIP LOCKED` and state changes are conditional updates.
 */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Db> {
  const pg = (await import("pg")).default;
  const pool: Pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // Amounts (cents) and times (epoch ms) are BIGINT: safe integers, read as numbers.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  // Prepared statements: each query text gets a name once, so a connection parses and plans it
  // once instead of on every call; texts built with a variable number of placeholders (IN lists)
  // are many, so past PREPARED_LIMIT names new texts run unnamed.
  const prepared = new Map<string, { text: string; name: string | undefined }>();
  let generation = 0;
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (!found) {
      found = { text: numberedPlaceholders(sql), name: prepared.size < PREPARED_LIMIT ? `alipayhk_${generation}_${prepared.size}` : undefined };
      prepared.set(sql, found);
    }
    return found;
  };
  const query = async (client: Pool | PoolClient, sql: string, params: Param[]) => {
    const { text, name } = statement(sql);
    try {
      return await client.query({ text, values: params, name });
    } catch (error) {
      // Another instance changed the schema under a prepared statement ("cached plan must not
      // change result type"): forget every name and run this one unnamed.
      if (name === undefined || (error as { code?: string }).code !== "0A000") throw error;
      generation++;
      prepared.clear();
      return client.query({ text, values: params });
    }
  };
  const on = (client: Pool | PoolClient): Queryable => ({
    async all<T extends Row>(sql: string, params: Param[] = []) {
      return (await query(client, sql, params)).rows as T[];
    },
    async run(sql: string, params: Param[] = []) {
      return (await query(client, sql, params)).rowCount ?? 0;
    },
  });
  const direct = on(pool);
  return {
    dialect: "postgres",
    forUpdate: " FOR UPDATE",
    skipLocked: " FOR UPDATE SKIP LOCKED",
    all: direct.all,
    run: direct.run,
    async tx(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work(on(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
