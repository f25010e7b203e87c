import { createHash } from "node:crypto";
import { derivePartnerRefundId, type MinorUnits } from "@alipayhk/core";
import {
  eventId,
  eventPayload,
  lateChargeEventData,
  mismatchEventData,
  paymentEventData,
  refundEventData,
  type LateChargeFacts,
  type MismatchFacts,
} from "../events";
import { Batcher, type BatchOptions } from "./batch";
import type { Db, Param, Queryable, Row } from "./db";
import {
  toOrder,
  toRefund,
  toWatch,
  type EventType,
  type OrderMode,
  type OrderRecord,
  type OrderStatus,
  type RefundRecord,
  type RefundStatus,
  type WatchRecord,
} from "./records";

export interface NewOrder {
  orderId: string;
  mode: OrderMode;
  amount: MinorUnits;
  currency: string;
  description: string;
  notifyUrl?: string;
}

export type ReserveOrderResult =
  /** A new order (or a new barcode attempt after a failed one): go and charge it. */
  | { kind: "created"; order: OrderRecord }
  /** The same order again: answer with what it is now. */
  | { kind: "existing"; order: OrderRecord }
  /** The same id with other terms (mode, amount, currency). */
  | { kind: "conflict"; order: OrderRecord; field: string };

export type ReserveRefundResult =
  | { kind: "created"; order: OrderRecord; refund: RefundRecord }
  | { kind: "existing"; order: OrderRecord; refund: RefundRecord }
  | { kind: "conflict"; order: OrderRecord; refund: RefundRecord }
  | { kind: "unknown_order" }
  | { kind: "not_paid"; order: OrderRecord }
  | { kind: "exceeds"; order: OrderRecord; refundable: MinorUnits };

export type IdempotencyBegin = { kind: "new" } | { kind: "replay"; statusCode: number; body: string } | { kind: "in_progress" } | { kind: "mismatch" };

export interface PaidDetails {
  alipayTransId?: string;
  paymentInst?: string;
  buyerLoginId?: string;
  amount?: MinorUnits;
  paidAt?: Date;
}

export interface StoreOptions {
  /** Configured outbound endpoints; every event gets one delivery per endpoint (plus the order's own). */
  endpoints: readonly string[];
  /** Prefix of every Alipay trade id, to share one partner between shops. */
  partnerTransIdPrefix: string;
  /**
   * PostgreSQL: group commit of the writes every new order makes (the idempotency key taken and
   * finished, the order inserted, the QR saved): concurrent ones share one statement; see
   * `Batcher`. `false` sends each alone. Default on, 2 batches on their way at once.
   */
  batching?: false | BatchOptions;
}

/** The id of an order's Alipay trade: the order id (attempt 1), then `<order_id>:<n>` for later barcode attempts. */
export function partnerTransIdFor(prefix: string, orderId: string, attempt: number): string {
  return attempt === 1 ? `${prefix}${orderId}` : `${prefix}${orderId}:${attempt}`;
}

const ORDER_COLUMNS = "*";

/**
 * No conflict target: the trade id is unique too, and two requests racing for one new order id
 * can meet at either index first. Naming only `order_id` would let the other index raise a unique
 * violation (a 500) instead of answering the existing order. The hot batch's insert does the same.
 */
const INSERT_ORDER = `INSERT INTO orders (order_id, mode, amount, currency, description, notify_url, status, partner_trans_id, attempt, expires_at, next_sweep_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, 1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const SAVE_QR = `UPDATE orders SET qr_code = ?, expires_at = ?, updated_at = ? WHERE order_id = ? RETURNING ${ORDER_COLUMNS}`;
const TAKE_KEY = "INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES (?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING";
const FINISH_KEY = "UPDATE idempotency_keys SET status_code = ?, response = ? WHERE idempotency_key = ?";

/** One write of a new order's request, as the hot statement takes it. */
type HotWrite =
  | { kind: "take"; key: string; fingerprint: string; now: number }
  | { kind: "finish"; key: string; statusCode: number; body: string }
  /**
   * The values of INSERT_ORDER: order_id, mode, amount, currency, description, notify_url,
   * partner_trans_id, expires_at, next_sweep_at, created_at, updated_at.
   */
  | { kind: "insert"; values: Param[] }
  | { kind: "save"; orderId: string; qrCode: string; expiresAt: number; now: number };

/** What each write answers: the key was taken; the order row inserted or updated (undefined: none). */
type HotResult = boolean | Row | undefined;

const idOf = (write: HotWrite): string => (write.kind === "insert" ? String(write.values[0]) : write.kind === "save" ? write.orderId : write.key);

/**
 * The four writes of every new order on PostgreSQL (the idempotency key taken and finished, the
 * order inserted, the QR saved), all in ONE statement per batch: a data-modifying CTE per kind,
 * each over arrays through `unnest` (empty when the batch has none of that kind), so the text is
 * the same whatever the batch holds and stays one prepared statement. Each row is written as
 * the single statement would write it, and answered per row. The writes of one batch are
 * independent: a request's next write waits for its previous one, so the same row is never
 * inserted and updated in one statement (a row committed earlier may be: the CTEs see it).
 */
const HOT_BATCH = `WITH taken AS (
    INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at)
    SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]))
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key
  ), finished AS (
    UPDATE idempotency_keys AS k SET status_code = v.status_code, response = v.response
    FROM unnest(CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[])) AS v (idempotency_key, status_code, response)
    WHERE k.idempotency_key = v.idempotency_key
  ), created AS (
    INSERT INTO orders (order_id, mode, amount, currency, description, notify_url, status, partner_trans_id, attempt, expires_at, next_sweep_at,
                        created_at, updated_at)
    SELECT v.order_id, v.mode, v.amount, v.currency, v.description, v.notify_url, 'pending', v.partner_trans_id, 1, v.expires_at, v.next_sweep_at,
           v.created_at, v.updated_at
    FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
                CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]))
      AS v (order_id, mode, amount, currency, description, notify_url, partner_trans_id, expires_at, next_sweep_at, created_at, updated_at)
    ON CONFLICT DO NOTHING RETURNING *
  ), saved AS (
    UPDATE orders AS o SET qr_code = v.qr_code, expires_at = v.expires_at, updated_at = v.updated_at
    FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS v (order_id, qr_code, expires_at, updated_at)
    WHERE o.order_id = v.order_id RETURNING o.*
  )
  SELECT 'take' AS kind, idempotency_key AS id, CAST(NULL AS JSON) AS data FROM taken
  UNION ALL SELECT 'insert', created.order_id, row_to_json(created.*) FROM created
  UNION ALL SELECT 'save', saved.order_id, row_to_json(saved.*) FROM saved`;

class HotStatements {
  private readonly batcher: Batcher<HotWrite, HotResult>;

  constructor(db: Db, options: BatchOptions) {
    this.batcher = new Batcher<HotWrite, HotResult>(
      (write) => `${write.kind}\u0000${idOf(write)}`,
      async (writes) => {
        const of = <K extends HotWrite["kind"]>(kind: K) => writes.filter((write): write is Extract<HotWrite, { kind: K }> => write.kind === kind);
        const take = of("take");
        const finish = of("finish");
        const insert = of("insert");
        const save = of("save");
        const rows = await db.all<{ kind: string; id: string; data: Row | null }>(HOT_BATCH, [
          take.map((w) => w.key),
          take.map((w) => w.fingerprint),
          take.map((w) => w.now),
          finish.map((w) => w.key),
          finish.map((w) => w.statusCode),
          finish.map((w) => w.body),
          ...Array.from({ length: 11 }, (_, i) => insert.map((w) => w.values[i] as string | number | null)),
          save.map((w) => w.orderId),
          save.map((w) => w.qrCode),
          save.map((w) => w.expiresAt),
          save.map((w) => w.now),
        ]);
        const answered = new Map(rows.map((row) => [`${row.kind}\u0000${row.id}`, row.data ?? true]));
        return writes.map((write) => {
          const answer = answered.get(`${write.kind}\u0000${idOf(write)}`);
          if (write.kind === "take") return answer !== undefined;
          if (write.kind === "finish") return undefined;
          return answer === undefined ? undefined : (answer as Row);
        });
      },
      async (write) => {
        switch (write.kind) {
          case "take":
            return (await db.run(TAKE_KEY, [write.key, write.fingerprint, write.now])) > 0;
          case "finish":
            await db.run(FINISH_KEY, [write.statusCode, write.body, write.key]);
            return undefined;
          case "insert":
            return (await db.all(`${INSERT_ORDER} RETURNING ${ORDER_COLUMNS}`, write.values))[0];
          case "save":
            return (await db.all(SAVE_QR, [write.qrCode, write.expiresAt, write.now, write.orderId]))[0];
        }
      },
      options,
    );
  }

  /** Takes a new idempotency key: false when it exists. */
  async takeKey(key: string, fingerprint: string, now: number): Promise<boolean> {
    return (await this.batcher.submit({ kind: "take", key, fingerprint, now })) as boolean;
  }

  async finishKey(key: string, statusCode: number, body: string): Promise<void> {
    await this.batcher.submit({ kind: "finish", key, statusCode, body });
  }

  /** Inserts a new order (INSERT_ORDER's values): its row, or undefined when the id exists. */
  async insertOrder(values: Param[]): Promise<Row | undefined> {
    return (await this.batcher.submit({ kind: "insert", values })) as Row | undefined;
  }

  async saveQr(orderId: string, qrCode: string, expiresAt: number, now: number): Promise<Row | undefined> {
    return (await this.batcher.submit({ kind: "save", orderId, qrCode, expiresAt, now })) as Row | undefined;
  }

  /** Statements sent so far (batches, single writes, and the single retries of a refused batch). */
  get statements(): number {
    return this.batcher.statements;
  }
}

/**
 * Every read and write of the service's state. Each state change and the events it causes are
 * written in one transaction (the outbox), and changes are conditional on the state they leave,
 * so a notification, the sweep and a second instance learning the same fact make one event.
 */
export class Store {
  /** PostgreSQL outside a transaction: the hot statements, group-committed. */
  readonly hot: HotStatements | undefined;

  constructor(
    readonly db: Db,
    private readonly options: StoreOptions,
  ) {
    this.hot = db.dialect === "postgres" && !db.inTransaction && options.batching !== false ? new HotStatements(db, options.batching ?? {}) : undefined;
  }

  // ---- orders --------------------------------------------------------------------------------

  async reserveOrder(input: NewOrder, now: number, firstSweepAt: number, expiresAt: number | undefined): Promise<ReserveOrderResult> {
    const insert = INSERT_ORDER;
    const values: Param[] = [
      input.orderId,
      input.mode,
      input.amount,
      input.currency,
      input.description,
      input.notifyUrl ?? null,
      partnerTransIdFor(this.options.partnerTransIdPrefix, input.orderId, 1),
      expiresAt ?? null,
      firstSweepAt,
      now,
      now,
    ];
    // A new order id (nearly every request): one statement, one round trip, the row as inserted.
    const created = this.hot ? await this.hot.insertOrder(values) : (await this.db.all(`${insert} RETURNING ${ORDER_COLUMNS}`, values))[0];
    if (created) return { kind: "created", order: toOrder(created) };
    return this.db.tx(async (q) => {
      // Insert first: two instances taking the same new order id meet at the primary key, not in a race.
      const inserted = await q.run(insert, values);
      if (inserted > 0) return { kind: "created", order: await this.orderIn(q, input.orderId) };
      const [row] = await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ?${this.db.forUpdate}`, [input.orderId]);
      // Not this id but its trade id is taken (another order's id plus an attempt suffix): refused, nothing written.
      if (!row) throw new Error(`order ${JSON.stringify(input.orderId)}: its Alipay trade id is already used by another order`);
      const order = toOrder(row);
      if (order.mode !== input.mode) return { kind: "conflict", order, field: "mode" };
      if (order.amount !== input.amount) return { kind: "conflict", order, field: "amount" };
      if (order.currency !== input.currency) return { kind: "conflict", order, field: "currency" };
      if (order.mode === "barcode" && order.status === "failed") {
        // A new charge after one that took no money: a fresh trade id, never the old one.
        const attempt = order.attempt + 1;
        await q.run(
          `UPDATE orders SET attempt = ?, partner_trans_id = ?, status = 'pending', failure_code = NULL, reversed = 0, next_sweep_at = ?, updated_at = ?
           WHERE order_id = ? AND status = 'failed'`,
          [attempt, partnerTransIdFor(this.options.partnerTransIdPrefix, input.orderId, attempt), firstSweepAt, now, input.orderId],
        );
        return { kind: "created", order: await this.orderIn(q, input.orderId) };
      }
      return { kind: "existing", order };
    });
  }

  async saveQr(orderId: string, qrCode: string, expiresAt: number, now: number): Promise<OrderRecord> {
    // One statement: atomic alone, and the row comes back with it.
    const row = this.hot ? await this.hot.saveQr(orderId, qrCode, expiresAt, now) : (await this.db.all(SAVE_QR, [qrCode, expiresAt, now, orderId]))[0];
    return toOrder(row!);
  }

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const [row] = await this.db.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ?`, [orderId]);
    return row ? toOrder(row) : undefined;
  }

  async getOrderByTrade(partnerTransId: string): Promise<OrderRecord | undefined> {
    const [row] = await this.db.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE partner_trans_id = ?`, [partnerTransId]);
    return row ? toOrder(row) : undefined;
  }

  /** Newest first; `before` is the cursor (`created_at` and `order_id` of the last row seen). */
  async listOrders(filter: { status?: OrderStatus; limit: number; before?: { createdAt: number; orderId: string } }): Promise<OrderRecord[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.status) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (filter.before) {
      where.push("(created_at < ? OR (created_at = ? AND order_id < ?))");
      params.push(filter.before.createdAt, filter.before.createdAt, filter.before.orderId);
    }
    const rows = await this.db.all(
      `SELECT ${ORDER_COLUMNS} FROM orders${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, order_id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toOrder);
  }

  async refundsOf(orderId: string): Promise<RefundRecord[]> {
    const rows = await this.db.all("SELECT * FROM refunds WHERE order_id = ? ORDER BY created_at, return_id", [orderId]);
    return rows.map(toRefund);
  }

  /** pending → paid, with a `payment.succeeded` event. Null when the trade is not ours or not pending. */
  async markPaid(partnerTransId: string, details: PaidDetails, now: number): Promise<OrderRecord | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q.all(
        `UPDATE orders SET status = 'paid', alipay_trans_id = COALESCE(?, alipay_trans_id), payment_inst = COALESCE(?, payment_inst),
           buyer_login_id = COALESCE(?, buyer_login_id), paid_amount = amount, paid_at = ?, next_sweep_at = NULL, updated_at = ?
         WHERE partner_trans_id = ? AND status = 'pending' RETURNING ${ORDER_COLUMNS}`,
        [details.alipayTransId ?? null, details.paymentInst ?? null, details.buyerLoginId ?? null, details.paidAt?.getTime() ?? now, now, partnerTransId],
      );
      if (!row) return undefined;
      const order = toOrder(row);
      await this.addEvent(q, "payment.succeeded", order.partnerTransId, order, paymentEventData(order), now);
      return order;
    });
  }

  /** pending → failed (a barcode charge that took no money), with a `payment.failed` event. */
  async markFailed(partnerTransId: string, code: string, reason: string, now: number): Promise<OrderRecord | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q.all(
        `UPDATE orders SET status = 'failed', failure_code = ?, next_sweep_at = NULL, updated_at = ? WHERE partner_trans_id = ? AND status = 'pending' RETURNING ${ORDER_COLUMNS}`,
        [code, now, partnerTransId],
      );
      if (!row) return undefined;
      const order = toOrder(row);
      await this.addEvent(q, "payment.failed", order.partnerTransId, order, paymentEventData(order, { code, reason }), now);
      return order;
    });
  }

  /**
   * → canceled, with a `payment.canceled` event; `from` limits which states may be left (the
   * platform's cancel leaves any; an expiry only `pending`). A fallback refund is recorded with it.
   */
  async markCanceled(
    partnerTransId: string,
    change: {
      reason: string;
      reversed: boolean;
      from: OrderStatus[];
      fallbackRefund?: { returnId: string; partnerRefundId: string; amount: MinorUnits; status: RefundStatus; code?: string };
    },
    now: number,
  ): Promise<OrderRecord | undefined> {
    return this.db.tx(async (q) => {
      const states = change.from.map(() => "?").join(", ");
      const [row] = await q.all(
        `UPDATE orders SET status = 'canceled', reversed = ?, next_sweep_at = NULL, updated_at = ? WHERE partner_trans_id = ? AND status IN (${states}) RETURNING ${ORDER_COLUMNS}`,
        [change.reversed ? 1 : 0, now, partnerTransId, ...change.from],
      );
      if (!row) return undefined;
      const order = toOrder(row);
      const refund = change.fallbackRefund;
      if (refund) {
        await q.run(
          `INSERT INTO refunds (order_id, return_id, partner_refund_id, amount, status, code, next_sweep_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id, return_id) DO NOTHING`,
          [
            order.orderId,
            refund.returnId,
            refund.partnerRefundId,
            refund.amount,
            refund.status,
            refund.code ?? null,
            refund.status === "pending" ? now : null,
            now,
            now,
          ],
        );
        if (refund.status !== "pending") {
          const record = toRefund((await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [order.orderId, refund.returnId]))[0]!);
          await this.addEvent(
            q,
            refund.status === "succeeded" ? "refund.succeeded" : "refund.failed",
            `${order.orderId}\u0000${refund.returnId}`,
            order,
            refundEventData(order, record),
            now,
          );
        }
      }
      await this.addEvent(q, "payment.canceled", order.partnerTransId, order, paymentEventData(order, { reason: change.reason }), now);
      return order;
    });
  }

  /** Moves a pending trade's next sweep (after a request that left its outcome open, sooner). */
  async scheduleSweep(partnerTransId: string, at: number): Promise<void> {
    await this.db.run("UPDATE orders SET next_sweep_at = ? WHERE partner_trans_id = ? AND status = 'pending'", [at, partnerTransId]);
  }

  // ---- refunds -------------------------------------------------------------------------------

  /**
   * Reserves a refund against the paid amount before Alipay is asked, so two concurrent returns
   * can never together refund more than was paid.
   */
  async reserveRefund(orderId: string, returnId: string, amount: MinorUnits, now: number, firstSweepAt: number, reason?: string): Promise<ReserveRefundResult> {
    return this.db.tx(async (q) => {
      const [row] = await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ?${this.db.forUpdate}`, [orderId]);
      if (!row) return { kind: "unknown_order" };
      const order = toOrder(row);
      const [existing] = await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]);
      if (existing) {
        const refund = toRefund(existing);
        // The same return is the same request content: the amount and (when given) the reason.
        const same = refund.amount === amount && (reason === undefined || (refund.reason ?? "") === reason);
        return same ? { kind: "existing", order, refund } : { kind: "conflict", order, refund };
      }
      if (order.status !== "paid") return { kind: "not_paid", order };
      const [sum] = await q.all<{ committed: number }>(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS committed FROM refunds WHERE order_id = ? AND status IN ('pending', 'succeeded')",
        [orderId],
      );
      const refundable = (order.paidAmount ?? order.amount) - Number(sum?.committed ?? 0);
      if (amount > refundable) return { kind: "exceeds", order, refundable };
      const partnerRefundId = derivePartnerRefundId(order.partnerTransId, returnId);
      await q.run(
        `INSERT INTO refunds (order_id, return_id, partner_refund_id, amount, status, next_sweep_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
        [orderId, returnId, partnerRefundId, amount, firstSweepAt, now, now],
      );
      // The full request content, kept with the reservation so every resend is identical.
      if (reason !== undefined) await q.run("UPDATE refunds SET reason = ? WHERE order_id = ? AND return_id = ?", [reason, orderId, returnId]);
      const refund = toRefund((await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]))[0]!);
      return { kind: "created", order, refund };
    });
  }

  /** pending → succeeded/failed with its event; `pending` again only re-schedules the sweep. */
  async settleRefund(
    orderId: string,
    returnId: string,
    outcome: { status: RefundStatus; code?: string; nextSweepAt?: number },
    now: number,
  ): Promise<RefundRecord | undefined> {
    return this.db.tx(async (q) => {
      if (outcome.status === "pending") {
        await q.run("UPDATE refunds SET next_sweep_at = ?, code = ?, updated_at = ? WHERE order_id = ? AND return_id = ? AND status = 'pending'", [
          outcome.nextSweepAt ?? now,
          outcome.code ?? null,
          now,
          orderId,
          returnId,
        ]);
      } else {
        const changed = await q.run(
          "UPDATE refunds SET status = ?, code = ?, next_sweep_at = NULL, updated_at = ? WHERE order_id = ? AND return_id = ? AND status = 'pending'",
          [outcome.status, outcome.code ?? null, now, orderId, returnId],
        );
        if (changed > 0) {
          const order = await this.orderIn(q, orderId);
          const refund = toRefund((await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]))[0]!);
          await this.addEvent(
            q,
            outcome.status === "succeeded" ? "refund.succeeded" : "refund.failed",
            `${orderId}\u0000${returnId}`,
            order,
            refundEventData(order, refund),
            now,
          );
        }
      }
      const [row] = await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]);
      return row ? toRefund(row) : undefined;
    });
  }

  async refundByPartnerRefundId(partnerRefundId: string): Promise<RefundRecord | undefined> {
    const [row] = await this.db.all("SELECT * FROM refunds WHERE partner_refund_id = ?", [partnerRefundId]);
    return row ? toRefund(row) : undefined;
  }

  // ---- sweep ---------------------------------------------------------------------------------

  /**
   * Claims the open trades and refunds due for a sweep (instances skip each other's rows) and
   * pushes their next sweep back by `leaseMs`, so a pass never runs the same row twice at once.
   */
  async claimSweep(now: number, limit: number, leaseMs: number): Promise<{ orders: OrderRecord[]; refunds: RefundRecord[] }> {
    return this.db.tx(async (q) => {
      const orders = (
        await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE status = 'pending' AND next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?${this.db.skipLocked}`, [
          now,
          limit,
        ])
      ).map(toOrder);
      const refunds = (
        await q.all(`SELECT * FROM refunds WHERE status = 'pending' AND next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?${this.db.skipLocked}`, [now, limit])
      ).map(toRefund);
      // One statement per table, not one per row.
      if (orders.length > 0) {
        await q.run(`UPDATE orders SET next_sweep_at = ? WHERE order_id IN (${orders.map(() => "?").join(", ")})`, [
          now + leaseMs,
          ...orders.map((order) => order.orderId),
        ]);
      }
      if (refunds.length > 0) {
        await q.run(`UPDATE refunds SET next_sweep_at = ? WHERE ${refunds.map(() => "(order_id = ? AND return_id = ?)").join(" OR ")}`, [
          now + leaseMs,
          ...refunds.flatMap((refund) => [refund.orderId, refund.returnId]),
        ]);
      }
      return { orders, refunds };
    });
  }

  // ---- notifications -------------------------------------------------------------------------

  /** Stores a verified notification; false when this notify_id was stored before. */
  async recordNotification(fields: Record<string, string>, now: number): Promise<boolean> {
    const changed = await this.db.run(
      "INSERT INTO notifications (notify_id, partner_trans_id, notify_type, trade_status, fields, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (notify_id) DO NOTHING",
      [
        fields.notify_id ?? "",
        fields.out_trade_no ?? fields.partner_trans_id ?? null,
        fields.notify_type ?? null,
        fields.trade_status ?? null,
        JSON.stringify(fields),
        now,
      ],
    );
    return changed > 0;
  }

  // ---- idempotency ---------------------------------------------------------------------------

  /**
   * Takes an idempotency key for one request. A key still in progress after `staleMs` (its
   * instance died) is taken over; a finished one replays its response.
   */
  async beginIdempotent(key: string, fingerprint: string, now: number, staleMs: number): Promise<IdempotencyBegin> {
    const taken = this.hot ? await this.hot.takeKey(key, fingerprint, now) : (await this.db.run(TAKE_KEY, [key, fingerprint, now])) > 0;
    if (taken) return { kind: "new" };
    return this.db.tx(async (q) => {
      const [row] = await q.all<{ fingerprint: string; status_code: number | null; response: string | null; created_at: number }>(
        `SELECT fingerprint, status_code, response, created_at FROM idempotency_keys WHERE idempotency_key = ?${this.db.forUpdate}`,
        [key],
      );
      if (!row) {
        await q.run("INSERT INTO idempotency_keys (idempotency_key, fingerprint, created_at) VALUES (?, ?, ?)", [key, fingerprint, now]);
        return { kind: "new" } as const;
      }
      if (row.fingerprint !== fingerprint) return { kind: "mismatch" } as const;
      if (row.status_code !== null && row.status_code !== undefined)
        return { kind: "replay", statusCode: Number(row.status_code), body: row.response ?? "" } as const;
      if (Number(row.created_at) <= now - staleMs) {
        await q.run("UPDATE idempotency_keys SET created_at = ? WHERE idempotency_key = ?", [now, key]);
        return { kind: "new" } as const;
      }
      return { kind: "in_progress" } as const;
    });
  }

  async finishIdempotent(key: string, statusCode: number, body: string): Promise<void> {
    if (this.hot) await this.hot.finishKey(key, statusCode, body);
    else await this.db.run(FINISH_KEY, [statusCode, body, key]);
  }

  /** Forgets a key whose request changed nothing (refused), so it can be sent again corrected. */
  async releaseIdempotent(key: string): Promise<void> {
    await this.db.run("DELETE FROM idempotency_keys WHERE idempotency_key = ? AND status_code IS NULL", [key]);
  }

  async purgeIdempotency(olderThan: number): Promise<number> {
    return this.db.run("DELETE FROM idempotency_keys WHERE created_at < ? AND status_code IS NOT NULL", [olderThan]);
  }

  // ---- trusted trade facts (issue 11) ---------------------------------------------------------

  /**
   * Runs `work` against this store inside ONE database transaction: every change it makes (and
   * every outbound event) commits together or not at all. Only database work belongs inside.
   */
  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.db.tx((q) => work(new Store(boundDb(this.db, q), this.options)));
  }

  /** The order whose current trade, or whose watched earlier trade, has this id. */
  async orderOfTrade(partnerTransId: string): Promise<{ order: OrderRecord; watch?: WatchRecord } | undefined> {
    const watch = await this.getWatch(partnerTransId);
    const order = await this.getOrderByTrade(partnerTransId);
    if (order) return { order, watch };
    if (!watch) return undefined;
    const owner = await this.getOrder(watch.orderId);
    return owner ? { order: owner, watch } : undefined;
  }

  /** A refund by its Alipay id, with the trade it belongs to (for checking a refund notification). */
  async refundRequest(partnerRefundId: string): Promise<{ refund: RefundRecord; partnerTransId: string } | undefined> {
    const refund = await this.refundByPartnerRefundId(partnerRefundId);
    if (!refund) return undefined;
    const order = await this.getOrder(refund.orderId);
    return order ? { refund, partnerTransId: order.partnerTransId } : undefined;
  }

  /**
   * Flags an order for a person (status unchanged: it stays unpaid), with an
   * `order.payment_mismatch` event. Undefined when the trade is not this store's.
   */
  async flagMismatch(partnerTransId: string, facts: MismatchFacts, now: number): Promise<OrderRecord | undefined> {
    return this.db.tx(async (q) => {
      const changed = await q.run("UPDATE orders SET flag = 'payment_mismatch', flag_detail = ?, updated_at = ? WHERE partner_trans_id = ?", [
        JSON.stringify(facts),
        now,
        partnerTransId,
      ]);
      if (changed === 0) return undefined;
      const order = await this.orderByTradeIn(q, partnerTransId);
      await this.addEvent(
        q,
        "order.payment_mismatch",
        `${partnerTransId}\u0000${facts.alipay_trans_id ?? ""}\u0000${facts.reported_amount ?? ""}`,
        order,
        mismatchEventData(order, facts),
        now,
      );
      return order;
    });
  }

  /**
   * A refund's verified outcome. `succeeded` leaves `pending` or `failed` (a correction: the
   * money went back after all); `failed` leaves only `pending`. Each change makes its event.
   */
  async settleRefundFact(
    orderId: string,
    returnId: string,
    outcome: { status: "succeeded" | "failed"; code?: string },
    now: number,
  ): Promise<{ refund: RefundRecord; corrected: boolean } | undefined> {
    return this.db.tx(async (q) => {
      const [before] = await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]);
      if (!before) return undefined;
      const from = outcome.status === "succeeded" ? ["pending", "failed"] : ["pending"];
      const changed = await q.run(
        `UPDATE refunds SET status = ?, code = ?, next_sweep_at = NULL, updated_at = ? WHERE order_id = ? AND return_id = ? AND status IN (${from.map(() => "?").join(", ")})`,
        [outcome.status, outcome.code ?? null, now, orderId, returnId, ...from],
      );
      const refund = toRefund((await q.all("SELECT * FROM refunds WHERE order_id = ? AND return_id = ?", [orderId, returnId]))[0]!);
      const corrected = changed > 0 && String(before.status) === "failed";
      if (changed > 0) {
        const order = await this.orderIn(q, orderId);
        await this.addEvent(
          q,
          outcome.status === "succeeded" ? "refund.succeeded" : "refund.failed",
          `${orderId}\u0000${returnId}`,
          order,
          { ...refundEventData(order, refund), corrects: corrected ? "refund.failed" : undefined },
          now,
        );
      }
      return { refund, corrected };
    });
  }

  /** A refund whose outcome is open: looked at again at `nextSweepAt`, never marked failed. */
  async refundStillOpen(orderId: string, returnId: string, reason: string, nextSweepAt: number, now: number): Promise<void> {
    await this.db.run("UPDATE refunds SET next_sweep_at = ?, code = ?, updated_at = ? WHERE order_id = ? AND return_id = ? AND status = 'pending'", [
      nextSweepAt,
      reason,
      now,
      orderId,
      returnId,
    ]);
  }

  /** Sets the stored request content of a refund recorded without it (the cancel's fallback refund). */
  async setRefundReason(orderId: string, returnId: string, reason: string): Promise<void> {
    await this.db.run("UPDATE refunds SET reason = ? WHERE order_id = ? AND return_id = ? AND reason IS NULL", [reason, orderId, returnId]);
  }

  /** Puts a cancelled trade id on the late-charge watch until `until` (first look at `firstSweepAt`). */
  async addWatch(watch: { partnerTransId: string; orderId: string; amount: MinorUnits; until: number }, firstSweepAt: number, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO watches (partner_trans_id, order_id, amount, until_at, next_sweep_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (partner_trans_id) DO UPDATE SET until_at = excluded.until_at`,
      [watch.partnerTransId, watch.orderId, watch.amount, watch.until, firstSweepAt, now],
    );
  }

  async getWatch(partnerTransId: string): Promise<WatchRecord | undefined> {
    const [row] = await this.db.all("SELECT * FROM watches WHERE partner_trans_id = ?", [partnerTransId]);
    return row ? toWatch(row) : undefined;
  }

  async watchesOf(orderId: string): Promise<WatchRecord[]> {
    return (await this.db.all("SELECT * FROM watches WHERE order_id = ? ORDER BY created_at", [orderId])).map(toWatch);
  }

  async endWatch(partnerTransId: string): Promise<void> {
    await this.db.run("DELETE FROM watches WHERE partner_trans_id = ?", [partnerTransId]);
  }

  /** Claims the watched ids due for a look (as `claimSweep` does for trades and refunds). */
  async claimWatches(now: number, limit: number, leaseMs: number): Promise<WatchRecord[]> {
    return this.db.tx(async (q) => {
      const watches = (await q.all(`SELECT * FROM watches WHERE next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?${this.db.skipLocked}`, [now, limit])).map(
        toWatch,
      );
      for (const watch of watches) await q.run("UPDATE watches SET next_sweep_at = ? WHERE partner_trans_id = ?", [now + leaseMs, watch.partnerTransId]);
      return watches;
    });
  }

  /** Records a late charge found under a watched id, with an `order.late_charge` event (once per resolution). */
  async recordLateCharge(watch: WatchRecord, facts: LateChargeFacts, now: number): Promise<OrderRecord | undefined> {
    return this.db.tx(async (q) => {
      const [row] = await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ?`, [watch.orderId]);
      if (!row) return undefined;
      const order = toOrder(row);
      await this.addEvent(
        q,
        "order.late_charge",
        `${watch.partnerTransId}\u0000${facts.resolution}`,
        order,
        lateChargeEventData(order, watch.partnerTransId, facts),
        now,
      );
      return order;
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private async orderIn(q: Queryable, orderId: string): Promise<OrderRecord> {
    const [row] = await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = ?`, [orderId]);
    return toOrder(row!);
  }

  private async orderByTradeIn(q: Queryable, partnerTransId: string): Promise<OrderRecord> {
    const [row] = await q.all(`SELECT ${ORDER_COLUMNS} FROM orders WHERE partner_trans_id = ?`, [partnerTransId]);
    return toOrder(row!);
  }

  /** The outbox: the event and one delivery per endpoint, in the transaction of the change. */
  private async addEvent(q: Queryable, type: EventType, subject: string, order: OrderRecord, data: Record<string, unknown>, now: number): Promise<void> {
    const id = eventId(type, subject);
    const endpoints = new Set(this.options.endpoints);
    if (order.notifyUrl) endpoints.add(order.notifyUrl);
    const event: Param[] = [id, type, order.orderId, eventPayload(type, now, data), now];
    const insertEvent = "INSERT INTO events (id, type, order_id, payload, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
    if (this.db.dialect === "postgres" && endpoints.size > 0) {
      // The event and its deliveries in one statement (one round trip); no delivery when the event existed.
      const rows = [...endpoints].map(() => "(?, ?)").join(", ");
      await q.run(
        `WITH e AS (${insertEvent} RETURNING id)
         INSERT INTO deliveries (id, event_id, endpoint, status, attempts, next_attempt_at)
         SELECT d.id, e.id, d.endpoint, 'pending', 0, CAST(? AS BIGINT) FROM e CROSS JOIN (VALUES ${rows}) AS d (id, endpoint)`,
        [...event, now, ...[...endpoints].flatMap((endpoint) => [deliveryId(id, endpoint), endpoint])],
      );
      return;
    }
    const inserted = await q.run(insertEvent, event);
    if (inserted === 0) return;
    for (const endpoint of endpoints) {
      await q.run("INSERT INTO deliveries (id, event_id, endpoint, status, attempts, next_attempt_at) VALUES (?, ?, ?, 'pending', 0, ?)", [
        deliveryId(id, endpoint),
        id,
        endpoint,
        now,
      ]);
    }
  }
}

/** A `Db` whose statements and nested transactions all run on `q` (one open transaction). */
function boundDb(db: Db, q: Queryable): Db {
  return {
    dialect: db.dialect,
    forUpdate: db.forUpdate,
    skipLocked: db.skipLocked,
    inTransaction: true,
    all: (sql, params) => q.all(sql, params),
    run: (sql, params) => q.run(sql, params),
    tx: (work) => work(q),
    close: async () => {},
  };
}

export function deliveryId(eventId: string, endpoint: string): string {
  return `${eventId}.${createHash("sha256").update(endpoint).digest("hex").slice(0, 12)}`;
}
