import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { derivePartnerRefundId } from "@alipayhk/core";
import Database from "better-sqlite3";
import {
  MIGRATIONS,
  orderFromRow,
  refundFromRow,
  tradeFromRow,
  type OrderRecord,
  type OrderRow,
  type OrderState,
  type RefundOrigin,
  type RefundRecord,
  type RefundRow,
  type RefundStatus,
  type TradeRecord,
  type TradeRow,
  type TradeStatus,
} from "./store-schema.js";

export type { OrderRecord, OrderState, RefundOrigin, RefundRecord, RefundStatus, TradeRecord, TradeStatus };

export interface BridgeStoreOptions {
  /** File path, or `:memory:` for tests. */
  path: string;
  now?: () => Date;
}

/**
 * The bridge's own memory, in one SQLite file, so that a restart loses nothing: which Alipay trades
 * belong to which WooCommerce order, which one paid, which refunds were executed, which
 * notifications were seen. WooCommerce cannot hold this reliably (refund meta can only be written at
 * creation, and webhooks are hints), and Alipay knows nothing about WooCommerce ids.
 *
 * @example
 * const store = openStore({ path: "./.data/alipayhk-woo.sqlite" });
 * store.upsertOrder({ orderId: 727, orderKey: "wc_order_x", amountCents: 2935 });
 */
export class BridgeStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(options: BridgeStoreOptions) {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.now = options.now ?? (() => new Date());
    this.migrate();
  }

  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- orders -------------------------------------------------------------------------------

  /** Creates the order record if missing; keeps the existing one (and its state) otherwise. */
  upsertOrder(input: { orderId: number; orderKey: string; amountCents: number; thankYouUrl?: string | null }): OrderRecord {
    const ts = this.ts();
    this.db
      .prepare(
        `INSERT INTO orders (order_id, order_key, amount_cents, state, thank_you_url, created_at, updated_at)
         VALUES (?, ?, ?, 'awaiting', ?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET amount_cents = excluded.amount_cents,
           thank_you_url = COALESCE(excluded.thank_you_url, orders.thank_you_url), updated_at = excluded.updated_at
         WHERE orders.state = 'awaiting'`,
      )
      .run(input.orderId, input.orderKey, input.amountCents, input.thankYouUrl ?? null, ts, ts);
    return this.getOrder(input.orderId)!;
  }

  getOrder(orderId: number): OrderRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM orders WHERE order_id = ?`).get(orderId) as OrderRow | undefined;
    return row && orderFromRow(row);
  }

  setOrderState(orderId: number, state: OrderState, paidTransId?: string | null): void {
    const sets = paidTransId === undefined ? "" : ", paid_trans_id = @paidTransId";
    this.db
      .prepare(`UPDATE orders SET state = @state, updated_at = @ts${sets} WHERE order_id = @orderId`)
      .run({ orderId, state, ts: this.ts(), ...(paidTransId === undefined ? {} : { paidTransId }) });
  }

  /**
   * Marks `partnerTransId` as the payment WooCommerce records, if no other trade was recorded
   * first. Returns `true` when this call won; the loser of a double payment gets `false`.
   */
  claimPayment(orderId: number, partnerTransId: string): boolean {
    const res = this.db
      .prepare(`UPDATE orders SET paid_trans_id = ?, updated_at = ? WHERE order_id = ? AND paid_trans_id IS NULL`)
      .run(partnerTransId, this.ts(), orderId);
    // A repeat claim by the winner changes nothing (not even the row's timestamp).
    return res.changes === 1 || this.getOrder(orderId)?.paidTransId === partnerTransId;
  }

  ordersInState(state: OrderState): OrderRecord[] {
    return (this.db.prepare(`SELECT * FROM orders WHERE state = ? ORDER BY order_id`).all(state) as OrderRow[]).map(orderFromRow);
  }

  // ---- trades -------------------------------------------------------------------------------

  insertTrade(input: {
    partnerTransId: string;
    orderId: number;
    kind: "qr" | "barcode";
    amountCents: number;
    qrCode?: string | null;
    expiresAt?: string | null;
    status?: TradeStatus;
  }): TradeRecord {
    const ts = this.ts();
    this.db
      .prepare(
        `INSERT INTO trades (partner_trans_id, order_id, kind, amount_cents, qr_code, expires_at, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(input.partnerTransId, input.orderId, input.kind, input.amountCents, input.qrCode ?? null, input.expiresAt ?? null, input.status ?? "open", ts, ts);
    return this.getTrade(input.partnerTransId)!;
  }

  getTrade(partnerTransId: string): TradeRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM trades WHERE partner_trans_id = ?`).get(partnerTransId) as TradeRow | undefined;
    return row && tradeFromRow(row);
  }

  updateTrade(partnerTransId: string, patch: Partial<Pick<TradeRecord, "status" | "alipayTransId" | "paidAt" | "qrCode" | "expiresAt" | "watchUntil">>): void {
    const cols: Record<string, string> = {
      status: "status",
      alipayTransId: "alipay_trans_id",
      paidAt: "paid_at",
      qrCode: "qr_code",
      expiresAt: "expires_at",
      watchUntil: "watch_until",
    };
    const sets = Object.keys(patch)
      .filter((k) => k in cols)
      .map((k) => `${cols[k]} = @${k}`);
    if (!sets.length) return;
    this.db
      .prepare(`UPDATE trades SET ${sets.join(", ")}, updated_at = @ts WHERE partner_trans_id = @partnerTransId`)
      .run({ ...patch, ts: this.ts(), partnerTransId });
  }

  tradesForOrder(orderId: number): TradeRecord[] {
    return (this.db.prepare(`SELECT * FROM trades WHERE order_id = ? ORDER BY created_at, rowid`).all(orderId) as TradeRow[]).map(tradeFromRow);
  }

  tradesInStatus(...statuses: TradeStatus[]): TradeRecord[] {
    const marks = statuses.map(() => "?").join(", ");
    return (this.db.prepare(`SELECT * FROM trades WHERE status IN (${marks}) ORDER BY created_at, rowid`).all(...statuses) as TradeRow[]).map(tradeFromRow);
  }

  /** Trades on the late-charge watch. */
  watchedTrades(): TradeRecord[] {
    return (this.db.prepare(`SELECT * FROM trades WHERE watch_until IS NOT NULL ORDER BY watch_until`).all() as TradeRow[]).map(tradeFromRow);
  }

  /** How many trades an order has had: the per-attempt suffix of the next `partner_trans_id`. */
  countTrades(orderId: number): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE order_id = ?`).get(orderId) as { n: number }).n;
  }

  // ---- refunds ------------------------------------------------------------------------------

  /**
   * Records the intent to execute a refund, once. Returns the existing record when `refundKey`
   * (or its `wcRefundId`) was seen before, so a duplicated webhook or a retry cannot refund twice.
   */
  claimRefund(input: {
    refundKey: string;
    orderId: number;
    partnerTransId: string;
    wcRefundId: number | null;
    amountCents: number;
    origin: RefundOrigin;
    /** The `partner_refund_id` the request will carry (known before it is sent, for notifications). Default: derived by core. */
    partnerRefundId?: string;
    reason?: string | null;
  }): { record: RefundRecord; created: boolean } {
    const ts = this.ts();
    const res = this.db
      .prepare(
        `INSERT OR IGNORE INTO refunds (refund_key, order_id, partner_trans_id, wc_refund_id, amount_cents, origin, status, partner_refund_id, reason, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
      )
      .run(
        input.refundKey,
        input.orderId,
        input.partnerTransId,
        input.wcRefundId,
        input.amountCents,
        input.origin,
        input.partnerRefundId ?? derivePartnerRefundId(input.partnerTransId, input.refundKey),
        input.reason || null,
        ts,
        ts,
      );
    const record = this.getRefund(input.refundKey) ?? (input.wcRefundId !== null ? this.getRefundByWcId(input.wcRefundId) : undefined);
    if (!record) throw new Error(`refund ${input.refundKey}: not stored`);
    return { record, created: res.changes === 1 };
  }

  getRefund(refundKey: string): RefundRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM refunds WHERE refund_key = ?`).get(refundKey) as RefundRow | undefined;
    return row && refundFromRow(row);
  }

  getRefundByWcId(wcRefundId: number): RefundRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM refunds WHERE wc_refund_id = ?`).get(wcRefundId) as RefundRow | undefined;
    return row && refundFromRow(row);
  }

  getRefundByPartnerRefundId(partnerRefundId: string): RefundRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM refunds WHERE partner_refund_id = ?`).get(partnerRefundId) as RefundRow | undefined;
    return row && refundFromRow(row);
  }

  /** Sum of the refunds of a trade that went through (what is no longer refundable). */
  refundedCents(partnerTransId: string): number {
    return (
      this.db.prepare(`SELECT COALESCE(SUM(amount_cents), 0) AS n FROM refunds WHERE partner_trans_id = ? AND status = 'succeeded'`).get(partnerTransId) as {
        n: number;
      }
    ).n;
  }

  updateRefund(refundKey: string, patch: Partial<Pick<RefundRecord, "status" | "partnerRefundId" | "lastError" | "wcRefundId">> & { addTry?: boolean }): void {
    const cols: Record<string, string> = {
      status: "status",
      partnerRefundId: "partner_refund_id",
      lastError: "last_error",
      wcRefundId: "wc_refund_id",
    };
    const { addTry, ...rest } = patch;
    const sets = Object.keys(rest)
      .filter((k) => k in cols)
      .map((k) => `${cols[k]} = @${k}`);
    if (addTry) sets.push("tries = tries + 1");
    if (!sets.length) return;
    this.db.prepare(`UPDATE refunds SET ${sets.join(", ")}, updated_at = @ts WHERE refund_key = @refundKey`).run({ ...rest, ts: this.ts(), refundKey });
  }

  refundsForOrder(orderId: number): RefundRecord[] {
    return (this.db.prepare(`SELECT * FROM refunds WHERE order_id = ? ORDER BY created_at, rowid`).all(orderId) as RefundRow[]).map(refundFromRow);
  }

  refundsInStatus(status: RefundStatus): RefundRecord[] {
    return (this.db.prepare(`SELECT * FROM refunds WHERE status = ? ORDER BY created_at, rowid`).all(status) as RefundRow[]).map(refundFromRow);
  }

  // ---- notifications ------------------------------------------------------------------------

  /** `true` the first time a `notify_id` is seen; `false` for a repeat delivery. */
  recordNotification(notifyId: string, partnerTransId: string | null, tradeStatus: string | null): boolean {
    const res = this.db
      .prepare(`INSERT OR IGNORE INTO notifications (notify_id, partner_trans_id, trade_status, received_at) VALUES (?, ?, ?, ?)`)
      .run(notifyId, partnerTransId, tradeStatus, this.ts());
    return res.changes === 1;
  }

  // ---- settings -----------------------------------------------------------------------------

  getSetting(key: string): string | undefined {
    return (this.db.prepare(`SELECT value FROM settings WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  private ts(): string {
    return this.now().toISOString();
  }

  private migrate(): void {
    const current = this.schemaVersion;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }
}

export function openStore(options: BridgeStoreOptions): BridgeStore {
  return new BridgeStore(options);
}
