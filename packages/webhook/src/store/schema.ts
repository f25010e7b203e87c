import type { Db } from "./db";

/**
 * The one schema, for SQLite and PostgreSQL alike: TEXT, INTEGER and BIGINT columns only, money
 * as integer cents, times as epoch milliseconds. Append a migration; never edit a shipped one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    notify_url TEXT,
    status TEXT NOT NULL,
    partner_trans_id TEXT NOT NULL UNIQUE,
    attempt INTEGER NOT NULL,
    qr_code TEXT,
    expires_at BIGINT,
    alipay_trans_id TEXT,
    payment_inst TEXT,
    buyer_login_id TEXT,
    paid_amount BIGINT,
    paid_at BIGINT,
    failure_code TEXT,
    reversed INTEGER NOT NULL DEFAULT 0,
    next_sweep_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX orders_sweep ON orders (status, next_sweep_at);
  CREATE INDEX orders_created ON orders (created_at);
  CREATE TABLE refunds (
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    return_id TEXT NOT NULL,
    partner_refund_id TEXT NOT NULL UNIQUE,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    next_sweep_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, return_id)
  );
  CREATE INDEX refunds_sweep ON refunds (status, next_sweep_at);
  CREATE TABLE notifications (
    notify_id TEXT PRIMARY KEY,
    partner_trans_id TEXT,
    notify_type TEXT,
    trade_status TEXT,
    fields TEXT NOT NULL,
    received_at BIGINT NOT NULL
  );
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    order_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX events_created ON events (created_at);
  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id),
    endpoint TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at BIGINT
  );
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
  CREATE INDEX deliveries_event ON deliveries (event_id);
  CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status_code INTEGER,
    response TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
  `,
  // 2: trusted trade facts (issue 11): a refund's full request content (its reason, resent
  // identically), an order flagged for a person (a reported payment that differs), and the
  // late-charge watch of trade ids cancelled before the gateway knew them.
  `
  ALTER TABLE refunds ADD COLUMN reason TEXT;
  ALTER TABLE orders ADD COLUMN flag TEXT;
  ALTER TABLE orders ADD COLUMN flag_detail TEXT;
  CREATE TABLE watches (
    partner_trans_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    amount BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    next_sweep_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX watches_sweep ON watches (next_sweep_at);
  `,
];

/** An arbitrary constant: the advisory lock instances take while migrating one PostgreSQL database. */
const MIGRATION_LOCK = 72_620_217;

/** Brings the database to the latest schema; safe when several instances start at once. */
export async function migrate(db: Db, now: number = Date.now()): Promise<number> {
  return db.tx(async (q) => {
    if (db.dialect === "postgres") await q.all(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await q.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    const [row] = await q.all<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_migrations");
    const current = Number(row?.version ?? 0);
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      for (const statement of MIGRATIONS[version - 1]!.split(";")) {
        if (statement.trim()) await q.run(statement);
      }
      await q.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [version, now]);
    }
    return MIGRATIONS.length;
  });
}
