/**
 * The sandbox's books: every trade and refund per partner, with the indexes the gateway looks
 * them up by. Plain data (JSON-safe) so the optional state file can keep it across restarts.
 */
import type { SignType } from "@alipayhk/core";

export type Wallet = "ALIPAYHK" | "ALIPAYCN";
export type TradeStatus = "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED";
/** Why a trade is closed: the reconciliation files and the notifications depend on it. */
export type CloseReason = "expired" | "cancelled" | "reversed" | "declined" | "payment_failed" | "refunded";

export interface BuyerAccount {
  wallet: Wallet;
  userId: string;
  loginId: string;
}

/** Secondary-merchant data from `extend_params` / `extend_info`, for the files. */
export interface MerchantInfo {
  industry?: string;
  name?: string;
  id?: string;
  storeName?: string;
}

export interface RefundRecord {
  partnerRefundId: string;
  /** Cents. */
  amount: number;
  currency: string;
  reason?: string;
  isSync: boolean;
  /** PROCESSING: accepted with is_sync=N and not executed yet. */
  status: "PROCESSING" | "SUCCESS";
  requestedAt: string;
  /** When the money went back (ISO, sandbox time); the files list the refund on this day. */
  completedAt?: string;
  /** When an accepted asynchronous refund is executed. */
  processAt?: string;
  notifyUrl?: string;
  /** Request content, for idempotency on `partner_refund_id`. */
  fingerprint: string;
  charset: string;
  signType: SignType;
}

/** What the first spot.pay/precreate reply said, so an identical retry gets the same answer. */
export interface StoredReply {
  version: number;
  response: Record<string, string>;
}

export interface TradeRecord {
  partner: string;
  /** `partner_trans_id` (spot.pay) or `out_trade_no` (precreate): the merchant's id. */
  partnerTransId: string;
  alipayTransId: string;
  product: "qr" | "barcode";
  service: string;
  subject: string;
  /** Cents. */
  amount: number;
  currency: string;
  transCurrency: string;
  status: TradeStatus;
  createdAt: string;
  /** QR trades: when the trade closes unpaid (`it_b_pay`). */
  expiresAt?: string;
  /** QR trades: when the code stops being scannable (`qr_code_it_b_pay`), if earlier. */
  qrExpiresAt?: string;
  paidAt?: string;
  closedAt?: string;
  closeReason?: CloseReason;
  buyer?: BuyerAccount;
  /** `https://qr.alipay.com/<code>` for QR trades. */
  qrCode?: string;
  notifyUrl?: string;
  passback?: string;
  /** The charset and sign type the merchant used, reused for its notifications. */
  charset: string;
  signType: SignType;
  merchant: MerchantInfo;
  /** Canonical request content, for `partner_trans_id` idempotency. */
  fingerprint: string;
  /** Barcode failure code when the charge failed. */
  failure?: string;
  /** Barcode: the buyer confirms in the wallet at this time (magic "wait" code). */
  pendingPayAt?: string;
  /** Wallet the pending barcode payment will be made with. */
  pendingWallet?: Wallet;
  /** The first cancel answers `retry_flag=Y` (magic code). */
  cancelRetryPending?: boolean;
  /** When a paid trade was cancelled (reversed): a CANCEL record in the files. */
  reversedAt?: string;
  refunds: RefundRecord[];
  /** Bumped on every state change; a stored reply is replayed only while it is current. */
  version: number;
  reply?: StoredReply;
}

const key = (partner: string, id: string) => `${partner}\u0000${id}`;

/** The trades of every partner, indexed by merchant id, Alipay id, QR code and refund id. */
export class Ledger {
  private readonly trades = new Map<string, TradeRecord>();
  private readonly byAlipayId = new Map<string, TradeRecord>();
  private readonly byQrCode = new Map<string, TradeRecord>();
  private readonly byRefundId = new Map<string, TradeRecord>();
  private readonly listeners = new Set<() => void>();

  get(partner: string, partnerTransId: string): TradeRecord | undefined {
    return this.trades.get(key(partner, partnerTransId));
  }

  getByAlipayId(partner: string, alipayTransId: string): TradeRecord | undefined {
    const trade = this.byAlipayId.get(alipayTransId);
    return trade && trade.partner === partner ? trade : undefined;
  }

  /** Resolves a QR payload (`https://qr.alipay.com/<code>`) or the bare code. */
  getByQrCode(qr: string): TradeRecord | undefined {
    const code = qr
      .trim()
      .replace(/^https?:\/\/qr\.alipay\.com\//i, "")
      .replace(/[/?#].*$/, "");
    return this.byQrCode.get(code.toLowerCase());
  }

  getRefund(partner: string, partnerRefundId: string): { trade: TradeRecord; refund: RefundRecord } | undefined {
    const trade = this.byRefundId.get(key(partner, partnerRefundId));
    const refund = trade?.refunds.find((r) => r.partnerRefundId === partnerRefundId);
    return trade && refund ? { trade, refund } : undefined;
  }

  /** Every trade with this merchant id, across partners (the admin routes take an optional partner). */
  find(partnerTransId: string, partner?: string): TradeRecord[] {
    if (partner) {
      const trade = this.get(partner, partnerTransId);
      return trade ? [trade] : [];
    }
    return this.all().filter((trade) => trade.partnerTransId === partnerTransId);
  }

  add(trade: TradeRecord): void {
    this.trades.set(key(trade.partner, trade.partnerTransId), trade);
    this.byAlipayId.set(trade.alipayTransId, trade);
    if (trade.qrCode) this.byQrCode.set(trade.qrCode.replace(/^https?:\/\/qr\.alipay\.com\//i, "").toLowerCase(), trade);
    for (const refund of trade.refunds) this.byRefundId.set(key(trade.partner, refund.partnerRefundId), trade);
    this.changed();
  }

  addRefund(trade: TradeRecord, refund: RefundRecord): void {
    trade.refunds.push(refund);
    this.byRefundId.set(key(trade.partner, refund.partnerRefundId), trade);
    this.touch(trade);
  }

  /** Records a state change of `trade`. */
  touch(trade: TradeRecord): void {
    trade.version += 1;
    this.changed();
  }

  all(): TradeRecord[] {
    return [...this.trades.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  clear(): void {
    this.trades.clear();
    this.byAlipayId.clear();
    this.byQrCode.clear();
    this.byRefundId.clear();
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Sum of refunds that hold money (done or accepted), in cents. */
export function refundedAmount(trade: TradeRecord): number {
  return trade.refunds.reduce((sum, refund) => sum + refund.amount, 0);
}
