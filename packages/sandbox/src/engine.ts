/**
 * The sandbox's state machine: trades move WAIT_BUYER_PAY → TRADE_SUCCESS → (refunds) or
 * TRADE_CLOSED, on the sandbox clock. The gateway services, the admin routes and the timers all
 * change trades through here, so notifications, the state file and the files follow every change.
 */
import { randomBytes } from "node:crypto";
import { encodeForCharset, formatAmount, gmt8Day, nodeCryptoSigner, type SignKey, type SignType } from "@alipayhk/core";
import { BUYERS } from "./buyers";
import { compactDay, SandboxClock, Scheduler } from "./clock";
import { FaultBook } from "./faults";
import { Ledger, type CloseReason, type RefundRecord, type TradeRecord, type Wallet } from "./ledger";
import { Notifier } from "./notifier";
import { notifyClose, notifyPayment, notifyRefund } from "./trade-notifications";
import type { PartnerConfig, SandboxConfig } from "./options";

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

export class SandboxEngine {
  readonly clock: SandboxClock;
  readonly scheduler: Scheduler;
  readonly ledger = new Ledger();
  readonly faults = new FaultBook();
  readonly notifier: Notifier;
  /**
   * spot.pay requests held before processing (fault or magic code), by `partner\u0000partner_trans_id`,
   * with the function that ends the hold early (a cancel of that id does).
   */
  readonly held = new Map<string, () => void>();
  /** Sequence of Alipay trade ids; kept in the state file so ids stay unique across restarts. */
  seq = 0;

  constructor(
    readonly config: SandboxConfig,
    clockOffsetMs?: number,
  ) {
    this.clock = new SandboxClock(config.startTime, clockOffsetMs);
    this.scheduler = new Scheduler(this.clock, (key, error) => config.log(`timer ${key} failed: ${(error as Error).message}`));
    this.notifier = new Notifier({
      clock: this.clock,
      scheduler: this.scheduler,
      schedule: config.notifySchedule,
      timeScale: config.notifyTimeScale,
      timeoutMs: config.notifyTimeoutMs,
      verifyWindowMs: config.notifyVerifyWindowMs,
      onChange: () => this.ledger.changed(),
      log: config.log,
    });
    for (const fault of config.faults) this.faults.add(fault);
  }

  now(): Date {
    return this.clock.now();
  }

  partner(id: string | undefined): PartnerConfig | undefined {
    return id === undefined ? undefined : this.config.partners.get(id);
  }

  // ---- ids ---------------------------------------------------------------------------------

  /** 28 digits like the captures: GMT+8 date, a fixed middle, a sequence. */
  nextAlipayTransId(): string {
    this.seq += 1;
    return `${compactDay(gmt8Day(this.now()))}220014565714${String(this.seq % 1e8).padStart(8, "0")}`;
  }

  newQrCode(): string {
    const bytes = randomBytes(21);
    let code = "bax";
    for (const byte of bytes) code += BASE36[byte % 36];
    return `https://qr.alipay.com/${code}`;
  }

  newNotifyId(): string {
    return randomBytes(17).toString("hex");
  }

  // ---- signing -----------------------------------------------------------------------------

  /** The key the sandbox signs with for this partner and sign type: the MD5 key, or its "Alipay" key. */
  signKey(partner: PartnerConfig, signType: SignType): SignKey {
    return signType === "MD5" ? { md5Key: partner.md5Key } : { privateKey: this.config.alipayKey };
  }

  sign(partner: PartnerConfig, signType: SignType, content: string, charset = "UTF-8"): string {
    return nodeCryptoSigner.sign(signType, encodeForCharset(content, charset), this.signKey(partner, signType));
  }

  // ---- trade lifecycle ---------------------------------------------------------------------

  /** Applies what the clock says before a trade is read: a due expiry or a due buyer confirmation. */
  refresh(trade: TradeRecord): TradeRecord {
    if (trade.status !== "WAIT_BUYER_PAY") return trade;
    const now = this.now().getTime();
    if (trade.pendingPayAt && Date.parse(trade.pendingPayAt) <= now) this.pay(trade, trade.pendingWallet ?? "ALIPAYHK");
    else if (trade.expiresAt && Date.parse(trade.expiresAt) <= now) this.close(trade, "expired", new Date(trade.expiresAt));
    return trade;
  }

  /** Adds a new trade and arms its timers. */
  open(trade: TradeRecord): void {
    this.ledger.add(trade);
    this.armTimers(trade);
  }

  private timerKey(kind: string, trade: TradeRecord): string {
    return `${kind}:${trade.partner}:${trade.partnerTransId}`;
  }

  private armTimers(trade: TradeRecord): void {
    if (trade.status !== "WAIT_BUYER_PAY") return;
    if (trade.pendingPayAt) {
      this.scheduler.at(this.timerKey("buyer", trade), new Date(trade.pendingPayAt), this.config.timeScale, () => {
        if (trade.status === "WAIT_BUYER_PAY" && trade.pendingPayAt) this.pay(trade, trade.pendingWallet ?? "ALIPAYHK");
      });
    }
    if (trade.expiresAt) {
      // Expiry runs at real speed: a QR shown in a demo must not vanish because notifications are sped up.
      this.scheduler.at(this.timerKey("expire", trade), new Date(trade.expiresAt), 1, () => {
        if (trade.status === "WAIT_BUYER_PAY") this.close(trade, "expired", new Date(trade.expiresAt!));
      });
    }
  }

  private disarm(trade: TradeRecord): void {
    this.scheduler.cancel(this.timerKey("buyer", trade));
    this.scheduler.cancel(this.timerKey("expire", trade));
  }

  /** The buyer pays a waiting trade. QR trades notify the merchant. */
  pay(trade: TradeRecord, wallet: Wallet): void {
    if (trade.status !== "WAIT_BUYER_PAY") return;
    const now = this.now();
    trade.status = "TRADE_SUCCESS";
    trade.paidAt = now.toISOString();
    trade.buyer = BUYERS[wallet];
    trade.pendingPayAt = undefined;
    trade.pendingWallet = undefined;
    trade.cancelRetryPending = undefined;
    this.disarm(trade);
    this.ledger.touch(trade);
    this.config.log(`pay ${trade.partnerTransId} ${formatAmount(trade.amount)} ${trade.currency} by ${wallet}`);
    if (trade.product === "qr" && trade.notifyUrl) notifyPayment(this, trade);
  }

  /** Closes a trade. Expiry and a declined QR notify the merchant (`closeTradeAction`). */
  close(trade: TradeRecord, reason: CloseReason, at = this.now()): void {
    if (trade.status === "TRADE_CLOSED") return;
    trade.status = "TRADE_CLOSED";
    trade.closedAt = at.toISOString();
    trade.closeReason = reason;
    trade.pendingPayAt = undefined;
    trade.pendingWallet = undefined;
    this.disarm(trade);
    this.ledger.touch(trade);
    if (trade.product === "qr" && trade.notifyUrl && (reason === "expired" || reason === "declined")) notifyClose(this, trade);
  }

  /** Cancel of a paid trade on its day: the money goes back, fee included. */
  reverse(trade: TradeRecord): void {
    const now = this.now();
    trade.reversedAt = now.toISOString();
    this.close(trade, "reversed", now);
  }

  /** Records an accepted refund: executed now (is_sync=Y) or after `asyncRefundDelayMs` (is_sync=N). */
  addRefund(trade: TradeRecord, refund: RefundRecord): void {
    this.ledger.addRefund(trade, refund);
    if (refund.isSync) this.completeRefund(trade, refund);
    else this.armRefund(trade, refund);
  }

  private armRefund(trade: TradeRecord, refund: RefundRecord): void {
    if (refund.status !== "PROCESSING" || !refund.processAt) return;
    this.scheduler.at(`refund:${trade.partner}:${refund.partnerRefundId}`, new Date(refund.processAt), this.config.timeScale, () =>
      this.completeRefund(trade, refund),
    );
  }

  completeRefund(trade: TradeRecord, refund: RefundRecord): void {
    if (refund.status === "SUCCESS") return;
    refund.status = "SUCCESS";
    refund.completedAt = this.now().toISOString();
    refund.processAt = undefined;
    const done = trade.refunds.filter((r) => r.status === "SUCCESS").reduce((sum, r) => sum + r.amount, 0);
    if (done >= trade.amount) this.close(trade, "refunded");
    else this.ledger.touch(trade);
    this.config.log(`refund ${refund.partnerRefundId} of ${trade.partnerTransId} ${formatAmount(refund.amount)} done`);
    if (!refund.isSync && refund.notifyUrl) notifyRefund(this, trade, refund);
  }

  /** Re-arms every timer after the ledger was loaded from the state file. */
  restoreTimers(): void {
    for (const trade of this.ledger.all()) {
      this.armTimers(trade);
      for (const refund of trade.refunds) this.armRefund(trade, refund);
    }
  }

  /** Forgets every trade, notification and fault (`POST /sandbox/reset`). */
  reset(): void {
    for (const trade of this.ledger.all()) {
      this.disarm(trade);
      for (const refund of trade.refunds) this.scheduler.cancel(`refund:${trade.partner}:${refund.partnerRefundId}`);
    }
    this.notifier.clear();
    this.faults.clear();
    this.ledger.clear();
  }
}
