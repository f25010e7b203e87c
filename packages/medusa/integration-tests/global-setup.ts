import pg from "pg";
import { MODULE_TEST_DB } from "./db";

/**
 * `moduleIntegrationTestRunner` connects to its `dbName` but never creates
 * it (it only drops and re-creates the schema inside), so make sure the database exists.
 */
export default async function createModuleTestDatabase(): Promise<void> {
  process.env.DB_HOST ??= "127.0.0.1";
  process.env.DB_USERNAME ??= "postgres";
  const name = MODULE_TEST_DB;
  const client = new pg.Client({
    host: process.env.DB_HOST,
    port: Number(process.env.DB_PORT ?? 5432),
    user: process.env.DB_USERNAME,
    password: process.env.DB_PASSWORD,
    database: "postgres",
  });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database "${name}"`);
      } catch (error) {
        // Another test process created it between our check and create: that is fine.
        if ((error as { code?: string }).code !== "42P04") throw error;
      }
    }
  } finally {
    await client.end();
  }
}
