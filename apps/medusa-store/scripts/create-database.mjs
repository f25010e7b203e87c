// Creates the store's database (from DATABASE_URL) if it does not exist yet; `medusa db:migrate`
// then creates the tables.
import pg from "pg";

const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/alipayhk_medusa_store");
const name = decodeURIComponent(url.pathname.slice(1));
url.pathname = "/postgres";
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
try {
  const found = await client.query("select 1 from pg_database where datname = $1", [name]);
  if (found.rowCount === 0) {
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
    console.log(`created database ${name}`);
  } else {
    console.log(`database ${name} exists`);
  }
} finally {
  await client.end();
}
