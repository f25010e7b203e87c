import type { Db, Param } from "./db";
import { toDelivery, type DeliveryRecord, type DeliveryStatus, type EventRecord, type EventType } from "./records";

/** A delivery claimed for one attempt, with the body to send. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpoint: string;
  /** Attempts made before this one. */
  attempts: number;
  payload: string;
}

export interface AttemptResult {
  ok: boolean;
  httpStatus?: number;
  error?: string;
}

/** The outbox's rows: events, and one delivery per (event, endpoint) with its retry state. */
export class OutboxStore {
  constructor(private readonly db: Db) {}

  /**
   * Claims due deliveries. A claim moves `next_attempt_at` to the end of the lease, so another
   * instance (SKIP LOCKED on PostgreSQL) or a restart after a crash picks it up only when the
   * lease has run out: at least once, and never twice at the same time.
   */
  async claim(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (this.db.dialect === "postgres") {
      // One statement, one round trip: pick (skipping rows other instances hold), lease, and read the payloads.
      const rows = await this.db.all<{ id: string; event_id: string; endpoint: string; attempts: number; payload: string }>(
        `UPDATE deliveries d SET next_attempt_at = ?
         FROM (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?${this.db.skipLocked}) c, events e
         WHERE d.id = c.id AND e.id = d.event_id
         RETURNING d.id, d.event_id, d.endpoint, d.attempts, e.payload`,
        [now + leaseMs, now, limit],
      );
      return rows.map((row) => ({ id: row.id, eventId: row.event_id, endpoint: row.endpoint, attempts: Number(row.attempts), payload: row.payload }));
    }
    return this.db.tx(async (q) => {
      const rows = await q.all<{ id: string; event_id: string; endpoint: string; attempts: number }>(
        `SELECT id, event_id, endpoint, attempts FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?${this.db.skipLocked}`,
        [now, limit],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      const marks = ids.map(() => "?").join(", ");
      await q.run(`UPDATE deliveries SET next_attempt_at = ? WHERE id IN (${marks})`, [now + leaseMs, ...ids]);
      const eventIds = [...new Set(rows.map((row) => row.event_id))];
      const payloads = new Map(
        (await q.all<{ id: string; payload: string }>(`SELECT id, payload FROM events WHERE id IN (${eventIds.map(() => "?").join(", ")})`, eventIds)).map(
          (row) => [row.id, row.payload],
        ),
      );
      return rows.map((row) => ({
        id: row.id,
        eventId: row.event_id,
        endpoint: row.endpoint,
        attempts: Number(row.attempts),
        payload: payloads.get(row.event_id) ?? "",
      }));
    });
  }

  /**
   * Records an attempt: delivered, or the next step of the ladder, or dead when the ladder is
   * used up. `nextDelayMs(n)` is the wait after the n-th failed attempt, undefined when none is left.
   */
  async record(delivery: ClaimedDelivery, result: AttemptResult, now: number, nextDelayMs: (attempts: number) => number | undefined): Promise<DeliveryStatus> {
    const attempts = delivery.attempts + 1;
    if (result.ok) {
      await this.db.run(
        "UPDATE deliveries SET status = 'delivered', attempts = ?, last_attempt_at = ?, last_status = ?, last_error = NULL, delivered_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'",
        [attempts, now, result.httpStatus ?? null, now, delivery.id],
      );
      return "delivered";
    }
    const delay = nextDelayMs(attempts);
    const status: DeliveryStatus = delay === undefined ? "dead" : "pending";
    await this.db.run(
      "UPDATE deliveries SET status = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'",
      [status, attempts, now, result.httpStatus ?? null, result.error?.slice(0, 300) ?? null, delay === undefined ? null : now + delay, delivery.id],
    );
    return status;
  }

  /** Sends an event again to every endpoint (dead or delivered), from the first step of the ladder; same event id. */
  async redeliver(eventId: string, now: number, endpoint?: string): Promise<number> {
    const params: Param[] = [now, eventId];
    if (endpoint) params.push(endpoint);
    return this.db.run(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE event_id = ? AND status <> 'pending'${endpoint ? " AND endpoint = ?" : ""}`,
      params,
    );
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const [row] = await this.db.all("SELECT * FROM events WHERE id = ?", [id]);
    if (!row) return undefined;
    const deliveries = (await this.db.all("SELECT * FROM deliveries WHERE event_id = ? ORDER BY endpoint", [id])).map(toDelivery);
    return {
      id: String(row.id),
      type: row.type as EventType,
      orderId: String(row.order_id),
      payload: String(row.payload),
      createdAt: Number(row.created_at),
      deliveries,
    };
  }

  /** Newest first, filtered by order, type or delivery status (`dead`: any delivery dead). */
  async listEvents(filter: {
    orderId?: string;
    type?: EventType;
    status?: DeliveryStatus;
    limit: number;
    before?: { createdAt: number; id: string };
  }): Promise<EventRecord[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.orderId) {
      where.push("e.order_id = ?");
      params.push(filter.orderId);
    }
    if (filter.type) {
      where.push("e.type = ?");
      params.push(filter.type);
    }
    if (filter.status) {
      where.push("EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = ?)");
      params.push(filter.status);
    }
    if (filter.before) {
      where.push("(e.created_at < ? OR (e.created_at = ? AND e.id < ?))");
      params.push(filter.before.createdAt, filter.before.createdAt, filter.before.id);
    }
    const rows = await this.db.all(
      `SELECT e.* FROM events e${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY e.created_at DESC, e.id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((row) => String(row.id));
    const deliveries = (await this.db.all(`SELECT * FROM deliveries WHERE event_id IN (${ids.map(() => "?").join(", ")}) ORDER BY endpoint`, ids)).map(
      toDelivery,
    );
    const byEvent = new Map<string, DeliveryRecord[]>();
    for (const delivery of deliveries) byEvent.set(delivery.eventId, [...(byEvent.get(delivery.eventId) ?? []), delivery]);
    return rows.map((row) => ({
      id: String(row.id),
      type: row.type as EventType,
      orderId: String(row.order_id),
      payload: String(row.payload),
      createdAt: Number(row.created_at),
      deliveries: byEvent.get(String(row.id)) ?? [],
    }));
  }

  /** Deliveries waiting and dead, for `/metrics` and `/healthz` (index range counts; delivered ones are not counted). */
  async counts(): Promise<{ pending: number; dead: number }> {
    const [row] = await this.db.all<{ pending: number; dead: number }>(
      "SELECT (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending, (SELECT COUNT(*) FROM deliveries WHERE status = 'dead') AS dead",
    );
    return { pending: Number(row?.pending ?? 0), dead: Number(row?.dead ?? 0) };
  }

  /** The earliest time a pending delivery is due (to sleep until then). */
  async nextDue(): Promise<number | undefined> {
    const [row] = await this.db.all<{ due: number | null }>("SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'");
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }
}
