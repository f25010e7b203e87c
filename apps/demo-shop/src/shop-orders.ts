import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { MinorUnits } from "@alipayhk/core";
import type { AdapterOrder } from "./adapter-client";

/** What the shop sold: the adapter knows amounts, the shop knows the lines. */
export interface ShopOrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: MinorUnits;
}

export interface ShopOrder {
  orderId: string;
  lines: ShopOrderLine[];
  total: MinorUnits;
  mode: "qr" | "barcode";
  createdAt: string;
  /** The adapter's latest view of the order, fetched on create and after every verified event. */
  payment?: AdapterOrder;
  /** Why the adapter refused to start the payment, when it did. */
  error?: string;
}

/** An event from the adapter, as the shop's receiver verified it. */
export interface ReceivedEvent {
  id: string;
  type: string;
  orderId: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

type Listener = (order: ShopOrder) => void;

const MAX_EVENTS = 100;

/**
 * The shop's own records: its orders' lines and the adapter's latest word on each, plus the
 * events received. Kept in one small JSON file so the shop survives a restart beside the
 * adapter's SQLite store and the sandbox's state file.
 */
export class ShopOrders {
  private readonly orders = new Map<string, ShopOrder>();
  private events: ReceivedEvent[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<Listener>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, "utf8")) as { orders?: ShopOrder[]; events?: ReceivedEvent[] };
      for (const order of saved.orders ?? []) this.orders.set(order.orderId, order);
      this.events = saved.events ?? [];
    }
  }

  get(orderId: string): ShopOrder | undefined {
    return this.orders.get(orderId);
  }

  /** Adds or replaces an order (the shop's own changes, e.g. a refused payment). */
  put(order: ShopOrder): void {
    this.orders.set(order.orderId, order);
    this.save();
    this.emit(order);
  }

  /** Records the adapter's view of an order and tells whoever watches it. */
  update(payment: AdapterOrder): ShopOrder | undefined {
    const order = this.orders.get(payment.order_id);
    if (!order) return undefined;
    // The newest view wins; a slow fetch must not put an older state back.
    if (order.payment && Date.parse(order.payment.updated_at) > Date.parse(payment.updated_at)) return order;
    order.payment = payment;
    this.save();
    this.emit(order);
    return order;
  }

  /** A verified event; false when this `webhook-id` was seen before (a redelivery). */
  recordEvent(event: ReceivedEvent): boolean {
    if (this.events.some((seen) => seen.id === event.id)) return false;
    this.events = [event, ...this.events].slice(0, MAX_EVENTS);
    this.save();
    return true;
  }

  recentEvents(): readonly ReceivedEvent[] {
    return this.events;
  }

  /** Calls `listener` with the order whenever it changes; returns the unsubscribe function. */
  watch(orderId: string, listener: Listener): () => void {
    const set = this.listeners.get(orderId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(orderId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(orderId);
    };
  }

  /** Calls `listener` whenever any order changes. */
  watchAll(listener: Listener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  private emit(order: ShopOrder): void {
    for (const listener of this.listeners.get(order.orderId) ?? []) listener(order);
    for (const listener of this.anyListeners) listener(order);
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ orders: [...this.orders.values()], events: this.events }, null, 1));
    renameSync(tmp, this.file);
  }
}
