import { AbstractPaymentProvider, MedusaError, PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils";
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  BigNumberInput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  Logger,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types";
import {
  cancelOrder,
  checkNotification,
  DEFAULT_POLICY,
  formatAmount,
  getPaymentStatus,
  isRefundEvent,
  paidOrMismatch,
  parseAmountLenient,
  refundReturn,
  sanitizeSignedText,
  sweepOpenTrades,
  type AlipayHkClient,
  type BarcodeRecovery,
  type ExpectedRefund,
  type ExpectedTrade,
  type MinorUnits,
  type OpenRefund,
  type TradeEvent,
} from "@alipayhk/core";
import { toCents, toMedusaAmount } from "../amount";
import { asMedusa, toMedusaError } from "../errors";
import type { AlipayHkPaymentData, AlipayHkProviderOptions, AlipayHkRefundRecord } from "../types";
import { sessionIdOf, sessionStatusOf, tradeFields, type TradeStatus } from "../trade-data";
import { createClient } from "../validate-options";

/** What the provider needs of a payment session to check a notification against it. */
export interface SessionRecord {
  id: string;
  provider_id?: string;
  data?: Record<string, unknown> | null;
  payment?: { data?: Record<string, unknown> | null } | null;
}

/** Looks a payment session up by id (the payment module's session service), or undefined. */
export type SessionLookup = (sessionId: string, withPayment: boolean) => Promise<SessionRecord | undefined>;

const FINAL: ReadonlySet<string> = new Set(["paid", "closed", "failed"]);

/**
 * Everything the two Alipay HK providers share: core's client, refunds, cancel, status, the
 * notification. The subclasses differ only in how a payment starts (`alipayhk-qr`: a QR code the
 * shopper scans; `alipayhk-barcode`: the cashier scans the buyer's code) and how it is authorized.
 * All Alipay logic (signing, amounts, recovery, idempotent ids, what a reply means) is core's:
 * every flow, the sweep and the notification check hand back verified `TradeEvent`s, and
 * {@link AlipayHkBase.applyEvents} is the one place they change the payment data.
 */
export abstract class AlipayHkBase extends AbstractPaymentProvider<AlipayHkProviderOptions> {
  /** Checked by the payment module at boot: a wrong option fails the start, naming the option. */
  static override validateOptions(options: Record<string, unknown>): void {
    createClient(options);
  }

  protected abstract readonly method: "qr" | "barcode";
  protected readonly client: AlipayHkClient;
  protected readonly logger?: Logger;
  private readonly cradle: Record<string, unknown>;

  constructor(cradle: Record<string, unknown>, options: AlipayHkProviderOptions) {
    super(cradle, options);
    this.client = createClient(options as unknown as Record<string, unknown>);
    this.logger = cradle.logger as Logger | undefined;
    this.cradle = cradle;
  }

  /** Timing of core's retries (barcode recovery, refund and cancel retries). */
  protected get recovery(): BarcodeRecovery {
    return {
      pollIntervalMs: this.config.barcodePollIntervalMs,
      maxPollMs: this.config.barcodeMaxPollMs,
    };
  }

  /** The trade subject (checked at boot: no `&` or `=`, see `validate-options`). */
  protected get subject(): string {
    return this.config.subject ?? "Order";
  }

  /** A service of the payment module's container, when it has one under that name. */
  private moduleService<T>(name: string): T | undefined {
    try {
      return (this.cradle[name] as T | undefined) ?? undefined;
    } catch {
      // Awilix throws for a name that is not registered (e.g. a provider built outside the module).
      return undefined;
    }
  }

  /**
   * The payment session behind a trade id, looked up in the payment module this provider belongs
   * to (its `paymentSessionService`). Overridable for tests.
   */
  protected findSession: SessionLookup = async (sessionId, withPayment) => {
    const service = this.moduleService<{
      retrieve(id: string, config: Record<string, unknown>): Promise<SessionRecord>;
    }>("paymentSessionService");
    if (!service) return undefined;
    try {
      return await service.retrieve(sessionId, {
        select: ["id", "provider_id", "data"],
        ...(withPayment ? { relations: ["payment"] } : {}),
      });
    } catch (error) {
      if ((error as { type?: string }).type === MedusaError.Types.NOT_FOUND) return undefined;
      throw error;
    }
  };

  // ---- data helpers -------------------------------------------------------------------------

  /** The session data this provider wrote, or an error saying it is not ours. */
  protected readData(data: Record<string, unknown> | undefined): AlipayHkPaymentData {
    const partnerTransId = data?.partner_trans_id;
    if (typeof partnerTransId !== "string" || partnerTransId === "") {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `${this.getIdentifier()}: the payment data has no partner_trans_id; it was not created by an Alipay HK provider`,
      );
    }
    return data as AlipayHkPaymentData;
  }

  protected requireSessionId(data: Record<string, unknown> | undefined): string {
    const sessionId = data?.session_id;
    if (typeof sessionId !== "string" || sessionId === "") {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `${this.getIdentifier()}: data.session_id is missing`);
    }
    return sessionId;
  }

  protected requireHkd(currencyCode: string): void {
    if (currencyCode?.toLowerCase() !== "hkd") {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `${this.getIdentifier()}: Alipay HK takes HKD only, this payment is in ${String(currencyCode).toUpperCase()}; offer the provider in an HKD region`,
      );
    }
  }

  protected cents(amount: BigNumberInput): MinorUnits {
    try {
      return toCents(amount);
    } catch (error) {
      throw toMedusaError(error, "amount");
    }
  }

  /** The amount still refundable: the trade amount less every refund not known to have failed. */
  protected refundable(data: AlipayHkPaymentData): MinorUnits {
    const paid = parseAmountLenient(data.amount, "amount");
    const refunded = (data.refunds ?? []).filter((r) => r.status !== "failed").reduce((sum, r) => sum + parseAmountLenient(r.amount, "refund amount"), 0);
    return Math.max(0, paid - refunded);
  }

  protected withRefund(data: AlipayHkPaymentData, record: AlipayHkRefundRecord): AlipayHkPaymentData {
    const others = (data.refunds ?? []).filter((r) => r.refund_id !== record.refund_id);
    return { ...data, refunds: [...others, record] };
  }

  // ---- the one place core's events change the payment data --------------------------------------

  /**
   * Applies core's verified trade events to the payment data and returns the new data (the input
   * is not changed). This is the only place the providers decide what a fact means for Medusa:
   * - `trade.paid` marks the trade paid only from an open state (a payment reported for a trade
   *   recorded closed is kept as `late_payment` and logged: the money is at Alipay, refund it);
   * - `trade.mismatch` is never paid: it is recorded as `mismatch`, logged as an error, and the
   *   session stays pending so a person looks;
   * - `trade.failed` / `trade.closed` end the trade (`closed` with `watchUntil` keeps `watch_until`
   *   for the scheduled job's late-charge watch); `trade.open` leaves an open barcode charge
   *   `unresolved` for the scheduled job;
   * - `refund.*` update the refund recorded under Medusa's refund id: `pending` is never shown as
   *   failed, a later `succeeded` moves a `failed` refund out of it (logged as a correction), and a
   *   succeeded refund is never downgraded;
   * - `late_charge.found` is recorded (`late_charge`) and logged; `watch.ended` drops the watch.
   */
  applyEvents(current: AlipayHkPaymentData, events: readonly TradeEvent[]): AlipayHkPaymentData {
    let data: AlipayHkPaymentData = { ...current };
    const now = new Date().toISOString();
    const id = data.partner_trans_id;
    const drop = <K extends keyof AlipayHkPaymentData>(key: K) => {
      const { [key]: _dropped, ...rest } = data;
      data = rest as AlipayHkPaymentData;
    };
    // Once the charge is decided, the buyer's code (masked, sealed, or the POS auth code) goes.
    const dropBuyerCode = () => {
      drop("buyer_code");
      drop("buyer_code_sealed");
      drop("auth_code");
    };
    for (const event of events) {
      if (event.partnerTransId !== id) continue; // a fact about another trade is not this payment's
      switch (event.type) {
        case "trade.paid": {
          dropBuyerCode();
          if (data.trade_status === "closed" || data.trade_status === "failed") {
            data.late_payment = { amount: formatAmount(event.amount), alipay_trans_id: event.alipayTransId, at: now };
            this.logger?.error(
              `alipayhk: ${id} was recorded ${data.trade_status} but Alipay reports it paid (HKD ${formatAmount(event.amount)}, ${event.alipayTransId ?? "no trade number"}); refund the buyer`,
            );
            break;
          }
          data = { ...data, trade_status: "paid", ...tradeFields(event) };
          break;
        }
        case "trade.mismatch": {
          dropBuyerCode();
          const reported = event.reportedAmount === undefined ? undefined : formatAmount(event.reportedAmount);
          const known = data.mismatch;
          if (!known || known.reported_amount !== reported || known.reported_currency !== event.reportedCurrency) {
            this.logger?.error(
              `alipayhk: ${id} is reported paid with ${event.reportedCurrency ?? "HKD"} ${reported ?? "(no amount)"} but the trade is HKD ${formatAmount(event.expectedAmount)}; not authorized, a person must look at it`,
            );
          }
          data.mismatch = {
            expected_amount: formatAmount(event.expectedAmount),
            reported_amount: reported,
            reported_currency: event.reportedCurrency,
            alipay_trans_id: event.alipayTransId,
            at: known?.at ?? now,
          };
          if (this.method === "barcode" && !FINAL.has(data.trade_status ?? "")) data.trade_status = "unresolved";
          break;
        }
        case "trade.failed":
          dropBuyerCode();
          if (data.trade_status === "paid") break;
          data = { ...data, trade_status: "failed", failure_code: event.code };
          break;
        case "trade.closed":
          dropBuyerCode();
          if (data.trade_status === "paid" && !event.reversed) break;
          data.trade_status = "closed";
          if (event.source === "cancel" || event.source === "barcode") data.cancel_status = event.reversed ? "reversed" : "closed";
          if (event.watchUntil) data.watch_until = event.watchUntil.toISOString();
          break;
        case "trade.open":
          if (event.source === "barcode") dropBuyerCode();
          if (this.method === "barcode" && !FINAL.has(data.trade_status ?? "")) data.trade_status = "unresolved";
          break;
        case "refund.succeeded":
        case "refund.failed":
        case "refund.pending":
          data = this.applyRefundEvent(data, event, now);
          break;
        case "late_charge.found":
          data = this.applyLateCharge(data, event, now);
          break;
        case "watch.ended":
          // null, not absent: the payment module merges session data, so a missing key would keep the old value.
          data.watch_until = null;
          break;
      }
    }
    return data;
  }

  /** A refund's outcome, recorded under Medusa's refund id (see {@link applyEvents}). */
  private applyRefundEvent(
    data: AlipayHkPaymentData,
    event: Extract<TradeEvent, { type: "refund.succeeded" | "refund.failed" | "refund.pending" }>,
    now: string,
  ): AlipayHkPaymentData {
    const id = data.partner_trans_id;
    const known = data.refunds?.find((r) => r.refund_id === event.platformRefundId);
    const record: AlipayHkRefundRecord = known
      ? { ...known }
      : { refund_id: event.platformRefundId, partner_refund_id: event.partnerRefundId, amount: formatAmount(event.amount), status: "pending", at: now };
    if (event.type === "refund.succeeded") {
      if (known?.status === "failed") {
        record.corrected_at = now;
        this.logger?.warn(
          `alipayhk: refund ${record.refund_id} (HKD ${record.amount}) on ${id}, recorded as failed, succeeded at Alipay after all: the buyer got the money back; record the refund in Medusa`,
        );
      }
      record.status = "succeeded";
      delete record.code;
    } else if (known?.status === "succeeded") {
      // A refund Alipay confirmed stays succeeded whatever a later reply says.
      return data;
    } else if (event.type === "refund.failed") {
      if (known?.status === "pending") {
        this.logger?.error(
          `alipayhk: refund ${record.refund_id} (HKD ${record.amount}) on ${id} was refused by Alipay (${event.code}) after Medusa recorded it; refund the buyer another way`,
        );
      }
      record.status = "failed";
      record.code = event.code;
    } else {
      record.status = "pending";
      record.code = event.reason;
    }
    return this.withRefund(data, record);
  }

  /** A charge that arrived after the cancel: recorded and logged; the watch ends once it is settled. */
  private applyLateCharge(current: AlipayHkPaymentData, event: Extract<TradeEvent, { type: "late_charge.found" }>, now: string): AlipayHkPaymentData {
    const data: AlipayHkPaymentData = { ...current };
    data.late_charge = {
      resolution: event.resolution,
      amount: event.amount === undefined ? undefined : formatAmount(event.amount),
      alipay_trans_id: event.alipayTransId,
      code: event.code,
      at: now,
    };
    const what = `alipayhk: a late charge${event.amount === undefined ? "" : ` of HKD ${formatAmount(event.amount)}`} arrived under ${data.partner_trans_id} after it was cancelled`;
    if (event.resolution === "failed") this.logger?.error(`${what}; it could not be given back (${event.code ?? "refused"}): refund the buyer by hand`);
    else if (event.resolution === "pending") this.logger?.warn(`${what}; giving it back is still open (${event.code ?? "unknown"}), the watch goes on`);
    else this.logger?.warn(`${what}; it was ${event.resolution} to the buyer`);
    // Given back, or beyond what the job can do (a person takes over): one id holds one
    // charge, so the watch is over (null, not absent: the module merges session data).
    if (event.resolution !== "pending") data.watch_until = null;
    return data;
  }

  // ---- trade state ----------------------------------------------------------------------------

  /**
   * Looks at the trade again (core's sweep: query; a QR past its expiry is closed; an open barcode
   * charge is resolved by query, then cancel; a cancelled id on the late-charge watch is queried
   * for a late charge) and returns the data with the events applied. A session whose charge was
   * never attempted is left alone.
   */
  async refreshTrade(data: AlipayHkPaymentData): Promise<AlipayHkPaymentData> {
    const status = data.trade_status;
    const watch = typeof data.watch_until === "string" ? [{ partnerTransId: data.partner_trans_id, until: new Date(data.watch_until) }] : [];
    const open = !FINAL.has(status ?? "") && (this.method === "qr" || status === "unresolved" || status === "unknown");
    if (!open && watch.length === 0) return data;
    const events = await asMedusa("status", () =>
      sweepOpenTrades(
        this.client,
        {
          trades: open
            ? [
                {
                  partnerTransId: data.partner_trans_id,
                  kind: this.method,
                  amount: parseAmountLenient(data.amount, "amount"),
                  expiresAt: data.expires_at ? new Date(data.expires_at) : undefined,
                },
              ]
            : [],
          watches: watch,
        },
        this.recovery,
      ),
    );
    return this.applyEvents(data, events);
  }

  // ---- AbstractPaymentProvider ----------------------------------------------------------------

  abstract override initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput>;
  abstract override authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput>;

  /** Alipay settles a paid trade at once; there is nothing left to capture. */
  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return { data: input.data };
  }

  /**
   * The reason sent with a refund: the note written on Medusa's refund, made safe for a signed
   * field (`&` and `=` would re-split the fields Alipay signs) and cut to 256 characters. Read once
   * and stored with the refund, so a resend carries the same text.
   */
  protected async refundReasonOf(refundId: string): Promise<string | undefined> {
    const service = this.moduleService<{ retrieve(id: string, config: Record<string, unknown>): Promise<{ note?: string | null }> }>("refundService");
    if (!service) return undefined;
    let note: string | null | undefined;
    try {
      note = (await service.retrieve(refundId, { select: ["id", "note"] })).note;
    } catch {
      return undefined;
    }
    return refundReasonText(note);
  }

  /**
   * Partial and repeated refunds through core's `refundReturn`. Medusa's refund id is the
   * idempotency key (core derives the `partner_refund_id` from it), so a retried call never refunds
   * twice, and it is resent with the reason first sent. A refund whose outcome stays open is
   * recorded as `pending` and resent by the scheduled job; one Alipay refuses is thrown, and Medusa
   * drops its refund row.
   */
  async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const data = this.readData(input.data);
    const refundId = input.context?.idempotency_key;
    if (!refundId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `${this.getIdentifier()}: a refund needs Medusa's refund id (context.idempotency_key)`);
    }
    const known = data.refunds?.find((r) => r.refund_id === refundId);
    if (known?.status === "succeeded") return { data };
    const amount = this.cents(input.amount);
    const reason = known ? known.reason : await this.refundReasonOf(refundId);
    const result = await asMedusa("refund", () =>
      refundReturn(this.client, { partnerTransId: data.partner_trans_id, platformRefundId: refundId, amount, reason }, this.recovery),
    );
    const base: AlipayHkRefundRecord = known
      ? { ...known, amount: formatAmount(amount) }
      : {
          refund_id: refundId,
          partner_refund_id: result.partnerRefundId,
          amount: formatAmount(amount),
          status: "pending",
          at: new Date().toISOString(),
          ...(reason ? { reason } : {}),
        };
    const next = this.applyEvents(this.withRefund(data, base), result.events);
    const event = result.events.find(isRefundEvent);
    if (event?.type === "refund.failed") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `Alipay HK refused the refund of HKD ${base.amount} on ${data.partner_trans_id}: ${event.code}`);
    }
    if (event?.type === "refund.pending") {
      this.logger?.warn(
        `alipayhk: refund ${refundId} (HKD ${base.amount}) on ${data.partner_trans_id} is still open (${event.reason}); the scheduled job resends it with the same id and content`,
      );
    }
    return { data: next };
  }

  /**
   * Ends the trade: an unpaid one is closed; a paid one is cancelled on its day (Alipay reverses
   * it) or, when Alipay refuses the cancel of a paid trade, refunded for what is still refundable
   * (core's `cancelOrder` fallback, idempotent on the cancel's id). A fallback refund whose outcome
   * is open is kept `pending` and resent by the scheduled job.
   */
  async cancelPayment(input: CancelPaymentInput): Promise<CancelPaymentOutput> {
    const data = this.readData(input.data);
    if (data.cancel_status) return { data };
    const refundable = data.trade_status === "paid" ? this.refundable(data) : 0;
    const platformRefundId = `cancel-${input.context?.idempotency_key ?? data.session_id}`;
    const result = await asMedusa("cancel", () =>
      cancelOrder(
        this.client,
        {
          partnerTransId: data.partner_trans_id,
          refundFallback: refundable > 0 ? { amount: refundable, platformRefundId } : undefined,
        },
        this.recovery,
      ),
    );
    const next = this.applyEvents(data, result.events);
    if (result.events.some((e) => e.type === "trade.closed")) return { data: next };
    const refund = result.events.find(isRefundEvent);
    if (refund && refund.type !== "refund.failed") {
      // Alipay refused the cancel of the paid trade (past its day, or any other code): refunded instead.
      if ("cancelCode" in result && result.cancelCode) {
        this.logger?.warn(`alipayhk: cancel of ${data.partner_trans_id} refused by Alipay (${result.cancelCode}); what remained was refunded instead`);
      }
      return { data: { ...next, cancel_status: "refunded", ...("cancelCode" in result && result.cancelCode ? { cancel_code: result.cancelCode } : {}) } };
    }
    if (result.status === "failed") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `Alipay HK refused to cancel ${data.partner_trans_id}: ${result.code}`);
    }
    throw new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      `Alipay HK cancel of ${data.partner_trans_id} is still open (${"reason" in result ? result.reason : result.status}); try again`,
    );
  }

  /**
   * The session is dropped (cart changed, another method chosen): close its trade so the QR can no
   * longer be paid. A paid trade is reversed on its day (the order was never placed from it). It
   * never blocks the cart: a failure is logged and the trade expires at Alipay on its own.
   */
  async deletePayment(input: DeletePaymentInput): Promise<DeletePaymentOutput> {
    const partnerTransId = input.data?.partner_trans_id;
    if (typeof partnerTransId !== "string") return { data: input.data };
    const data = input.data as AlipayHkPaymentData;
    if (data.trade_status === "closed" || data.trade_status === "failed") return { data };
    if (this.method === "barcode" && data.trade_status === undefined) return { data };
    try {
      // A dropped cart must not wait for core's full cancel schedule: half its attempts, at least one.
      const cancelAttempts = Math.max(1, Math.floor(DEFAULT_POLICY.cancelAttempts / 2));
      const result = await cancelOrder(this.client, { partnerTransId }, { ...this.recovery, cancelAttempts });
      const next = this.applyEvents(data, result.events);
      if (next.trade_status !== "closed") {
        this.logger?.warn(
          `alipayhk: could not close ${partnerTransId} for a deleted session: ${"code" in result ? result.code : "reason" in result ? result.reason : result.status}`,
        );
      }
      return { data: next };
    } catch (error) {
      this.logger?.warn(`alipayhk: could not close ${partnerTransId} for a deleted session: ${(error as Error).message}`);
    }
    return { data };
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const data = await this.refreshTrade(this.readData(input.data));
    return { data, status: sessionStatusOf(data.trade_status) };
  }

  /**
   * The trade as Alipay reports it now (query), merged into the data for display. Only the
   * reported details and state are shown; whether it counts as paid is decided by the amount
   * check in the flows and the sweep, never here.
   */
  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const data = this.readData(input.data);
    const { status, query } = await getPaymentStatus(this.client, data.partner_trans_id);
    if (!query?.found) return { data };
    if (status === "paid") {
      const { reply: _r, outcome: _o, found: _f, status: _s, ...details } = query;
      return {
        data: this.applyEvents(data, [
          paidOrMismatch({ partnerTransId: data.partner_trans_id, amount: parseAmountLenient(data.amount, "amount") }, details, "sweep"),
        ]),
      };
    }
    const trade_status: TradeStatus = status === "closed" ? "closed" : status === "pending" ? "pending" : "unknown";
    return { data: { ...data, trade_status, ...tradeFields(query) } };
  }

  /**
   * With the same amount, `updatePayment` re-checks the trade at Alipay (the scheduled job uses
   * this, through the payment module's `updatePaymentSession`, to expire unpaid QR codes, to notice
   * payments whose notification was lost, and to watch cancelled barcode ids for late charges). A
   * new amount is the subclass's business.
   */
  async updatePayment(input: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const data = this.readData(input.data);
    this.requireHkd(input.currency_code);
    const amount = this.cents(input.amount);
    if (amount === parseAmountLenient(data.amount, "amount")) {
      const refreshed = await this.refreshTrade(data);
      // Paid → `authorized`, as the module itself records an authorized session, so that a session
      // found paid is not re-checked on every run; closed → `canceled`; else unchanged.
      const status =
        refreshed.trade_status === "paid" ? PaymentSessionStatus.AUTHORIZED : refreshed.trade_status === "closed" ? PaymentSessionStatus.CANCELED : undefined;
      return { data: refreshed, status };
    }
    return this.changeAmount(data, amount);
  }

  protected abstract changeAmount(data: AlipayHkPaymentData, amount: MinorUnits): Promise<UpdatePaymentOutput>;

  // ---- notifications ----------------------------------------------------------------------------

  /**
   * The trade this store created under `partnerTransId` with this provider (its amount), or
   * undefined. `current`: it is the session's trade now, not one closed when the amount changed.
   */
  protected async expectedTrade(partnerTransId: string): Promise<(ExpectedTrade & { current: boolean }) | undefined> {
    if (!/^payses_[A-Za-z0-9]+(\.\d+)?$/.test(partnerTransId)) return undefined;
    const session = await this.findSession(sessionIdOf(partnerTransId), false);
    if (!session || !this.ownsSession(session)) return undefined;
    const data = session.data as Partial<AlipayHkPaymentData> | null | undefined;
    if (data?.partner_trans_id === partnerTransId && typeof data.amount === "string") {
      return { amount: parseAmountLenient(data.amount, "amount"), currency: "HKD", current: true };
    }
    const previous = data?.previous_trades?.find((t) => t.partner_trans_id === partnerTransId);
    if (!previous || typeof previous.amount !== "string") return undefined;
    return { amount: parseAmountLenient(previous.amount, "amount"), currency: "HKD", current: false };
  }

  /** The refund this store sent under `partnerRefundId` on the trade (its stored content), or undefined. */
  protected async expectedRefund(partnerTransId: string | undefined, partnerRefundId: string): Promise<ExpectedRefund | undefined> {
    if (!partnerTransId || !/^payses_[A-Za-z0-9]+(\.\d+)?$/.test(partnerTransId)) return undefined;
    const session = await this.findSession(sessionIdOf(partnerTransId), true);
    if (!session || !this.ownsSession(session)) return undefined;
    const data = (session.payment?.data ?? session.data) as Partial<AlipayHkPaymentData> | null | undefined;
    if (data?.partner_trans_id !== partnerTransId) return undefined;
    const record = data.refunds?.find((r) => r.partner_refund_id === partnerRefundId);
    if (!record) return undefined;
    return { partnerTransId, platformRefundId: record.refund_id, amount: parseAmountLenient(record.amount, "refund amount"), reason: record.reason };
  }

  private ownsSession(session: SessionRecord): boolean {
    const provider = session.provider_id;
    return provider === undefined || provider === `pp_${this.getIdentifier()}` || provider.startsWith(`pp_${this.getIdentifier()}_`);
  }

  /**
   * An Alipay notification, checked by core's `checkNotification` before anything is read from it:
   * the raw bytes, the signature, the partner (`seller_id`), the trade being one this provider
   * created for a payment session (its amount and currency), and the fact confirmed by a query.
   * A refused notification throws (`invalid_data`, or `unexpected_state` when a later delivery can
   * pass, e.g. the confirming query failed) and Medusa changes nothing. Accepted:
   * `trade.paid` → `captured` for its session with the amount core checked; `trade.closed` →
   * `canceled`; anything else → not supported (the scheduled job settles refunds).
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const raw = payload.rawData;
    const bytes = raw === undefined || raw === null ? new Uint8Array() : typeof raw === "string" ? Buffer.from(raw, "latin1") : Buffer.from(raw);
    // Only a lookup key for a refund notification; core checks it against the signed fields.
    const claimedTrade = (() => {
      try {
        const form = new URLSearchParams(bytes.toString("latin1"));
        return form.get("partner_trans_id") ?? form.get("out_trade_no") ?? undefined;
      } catch {
        return undefined;
      }
    })();
    let check;
    try {
      check = await checkNotification(this.client, bytes, {
        findTrade: (id) => this.expectedTrade(id),
        findRefund: (id) => this.expectedRefund(claimedTrade, id),
      });
    } catch (error) {
      // The session lookup itself failed (database): refuse, and let Alipay send it again.
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, `Alipay HK notification not checked: ${(error as Error).message}`, "lookup_failed");
    }
    if (!check.accepted) {
      // `code` carries core's refusal (`bad_signature`, `unknown_trade`, ...) for the notify route.
      throw new MedusaError(
        check.retryable ? MedusaError.Types.UNEXPECTED_STATE : MedusaError.Types.INVALID_DATA,
        `Alipay HK ${check.message} [${check.refusal}]`,
        check.refusal,
      );
    }
    for (const event of check.events) {
      if (event.type !== "trade.paid" && event.type !== "trade.closed") continue;
      // Only the session's current trade speaks for the session: a trade closed when the amount
      // changed is acknowledged and changes nothing (a payment on it was reversed by that close).
      const expected = await this.expectedTrade(event.partnerTransId);
      if (!expected?.current) {
        if (event.type === "trade.paid") {
          this.logger?.error(
            `alipayhk: ${event.partnerTransId}, a trade replaced after an amount change, is reported paid (HKD ${formatAmount(event.amount)}); refund the buyer`,
          );
        }
        return { action: PaymentActions.NOT_SUPPORTED };
      }
      const data = { session_id: sessionIdOf(event.partnerTransId), amount: toMedusaAmount(event.type === "trade.paid" ? event.amount : expected.amount) };
      return { action: event.type === "trade.paid" ? PaymentActions.SUCCESSFUL : PaymentActions.CANCELED, data };
    }
    return { action: PaymentActions.NOT_SUPPORTED };
  }

  // ---- used by the scheduled job --------------------------------------------------------------

  /**
   * Resends the refunds of a payment whose outcome was open, with their original ids and content
   * (amount and reason as first sent). A refund is recorded `pending` only when its live request
   * has returned (the data is written from that request's result), so this never races a request
   * still in flight (core's `refundRequestBudgetMs` rule holds by construction).
   */
  async retryOpenRefunds(data: AlipayHkPaymentData): Promise<AlipayHkPaymentData | undefined> {
    const open = (data.refunds ?? []).filter((r) => r.status === "pending");
    if (open.length === 0) return undefined;
    const refunds: OpenRefund[] = open.map((r) => ({
      partnerTransId: data.partner_trans_id,
      platformRefundId: r.refund_id,
      amount: parseAmountLenient(r.amount, "refund amount"),
      reason: r.reason,
    }));
    const events = await sweepOpenTrades(this.client, { refunds }, this.recovery);
    return this.applyEvents(data, events);
  }
}

/**
 * A Medusa refund note as the reason Alipay receives: empty → none; `&`/`=` replaced (core's
 * `sanitizeSignedText`), cut to 256 characters (the field's length at Alipay).
 */
export function refundReasonText(note: string | null | undefined): string | undefined {
  if (typeof note !== "string") return undefined;
  const text = sanitizeSignedText(note).slice(0, 256).trim();
  return text === "" ? undefined : text;
}
