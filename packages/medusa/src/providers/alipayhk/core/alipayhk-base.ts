import {
  AbstractPaymentProvider,
  MedusaError,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils";
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
  formatAmount,
  getPaymentStatus,
  parseAmountLenient,
  refundReturn,
  sweepOpenTrades,
  type AlipayHkClient,
  type BarcodeRecovery,
  type MinorUnits,
  type OpenRefund,
} from "@alipayhk/core";
import { toCents, toMedusaAmount } from "../amount";
import { asMedusa, toMedusaError } from "../errors";
import type { AlipayHkPaymentData, AlipayHkProviderOptions, AlipayHkRefundRecord } from "../types";
import { sessionIdOf, sessionStatusOf, tradeFields, type TradeStatus } from "../trade-data";
import { createClient } from "../validate-options";

/**
 * Everything the two Alipay HK providers share: core's client, refunds, cancel, status, the
 * notification. The subclasses differ only in how a payment starts (`alipayhk-qr`: a QR code the
 * shopper scans; `alipayhk-barcode`: the cashier scans the buyer's code) and how it is authorized.
 * All Alipay logic (signing, amounts, recovery, idempotent ids) is core's; this class maps Medusa's
 * calls and data onto core's flows.
 */
export abstract class AlipayHkBase extends AbstractPaymentProvider<AlipayHkProviderOptions> {
  /** Checked by the payment module at boot: a wrong option fails the start, naming the option. */
  static override validateOptions(options: Record<string, unknown>): void {
    createClient(options);
  }

  protected abstract readonly method: "qr" | "barcode";
  protected readonly client: AlipayHkClient;
  protected readonly logger?: Logger;

  constructor(cradle: Record<string, unknown>, options: AlipayHkProviderOptions) {
    super(cradle, options);
    this.client = createClient(options as unknown as Record<string, unknown>);
    this.logger = cradle.logger as Logger | undefined;
  }

  /** Timing of core's retries (barcode recovery, refund and cancel retries). */
  protected get recovery(): BarcodeRecovery {
    return {
      pollIntervalMs: this.config.barcodePollIntervalMs,
      maxPollMs: this.config.barcodeMaxPollMs,
    };
  }

  protected get subject(): string {
    return this.config.subject ?? "Order";
  }

  // ---- data helpers -------------------------------------------------------------------------

  /** The session data this provider wrote, or an error saying it is not ours. */
  protected readData(data: Record<string, unknown> | undefined): AlipayHkPaymentData {
    const partnerTransId = data?.partner_trans_id;
    if (typeof partnerTransId !== "string" || partnerTransId === "") {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `${this.getIdentifier()}: the payment data has no partner_trans_id; it was not created by an Alipay HK provider`
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
        `${this.getIdentifier()}: Alipay HK takes HKD only, this payment is in ${String(currencyCode).toUpperCase()}; offer the provider in an HKD region`
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
    const refunded = (data.refunds ?? [])
      .filter((r) => r.status !== "failed")
      .reduce((sum, r) => sum + parseAmountLenient(r.amount, "refund amount"), 0);
    return Math.max(0, paid - refunded);
  }

  protected withRefund(data: AlipayHkPaymentData, record: AlipayHkRefundRecord): AlipayHkPaymentData {
    const others = (data.refunds ?? []).filter((r) => r.refund_id !== record.refund_id);
    return { ...data, refunds: [...others, record] };
  }

  // ---- trade state ----------------------------------------------------------------------------

  /**
   * Looks at the trade again (core's sweep: query; a QR past its expiry is closed; an open barcode
   * charge is resolved by query, then cancel) and returns the data updated with what was found.
   * A session whose charge was never attempted is left alone.
   */
  async refreshTrade(data: AlipayHkPaymentData): Promise<AlipayHkPaymentData> {
    const status = data.trade_status;
    if (status === "paid" || status === "closed" || status === "failed") return data;
    if (this.method === "barcode" && status !== "unresolved" && status !== "unknown") return data;
    const [decision] = await asMedusa("status", () =>
      sweepOpenTrades(
        this.client,
        {
          trades: [
            {
              partnerTransId: data.partner_trans_id,
              kind: this.method,
              expiresAt: data.expires_at ? new Date(data.expires_at) : undefined,
            },
          ],
        },
        this.recovery
      )
    );
    if (decision?.kind === "paid") {
      const { buyer_code: _dropped, buyer_code_sealed: _sealed, auth_code: _auth, ...rest } = data;
      return { ...rest, trade_status: "paid", ...tradeFields(decision.details) };
    }
    if (decision?.kind === "closed") {
      const { buyer_code: _dropped, buyer_code_sealed: _sealed, auth_code: _auth, ...rest } = data;
      return { ...rest, trade_status: "closed" };
    }
    return data;
  }

  // ---- AbstractPaymentProvider ----------------------------------------------------------------

  abstract override initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput>;
  abstract override authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput>;

  /** Alipay settles a paid trade at once; there is nothing left to capture. */
  async capturePayment(input: CapturePaymentInput): Promise<CapturePaymentOutput> {
    return { data: input.data };
  }

  /**
   * Partial and repeated refunds through core's `refundReturn`. Medusa's refund id is the
   * idempotency key (core derives the `partner_refund_id` from it), so a retried call never refunds
   * twice. A refund whose outcome stays open is recorded as `pending` and retried with the same id
   * by the scheduled job; one Alipay refuses is thrown, and Medusa drops its refund row.
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
    const result = await asMedusa("refund", () =>
      refundReturn(this.client, { partnerTransId: data.partner_trans_id, platformRefundId: refundId, amount }, this.recovery)
    );
    const record: AlipayHkRefundRecord = {
      refund_id: refundId,
      partner_refund_id: result.partnerRefundId,
      amount: formatAmount(amount),
      status: result.status,
      at: new Date().toISOString(),
    };
    if (result.status === "failed") {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `Alipay HK refused the refund of HKD ${record.amount} on ${data.partner_trans_id}: ${result.code}`
      );
    }
    if (result.status === "pending") {
      record.code = result.reason;
      this.logger?.warn(
        `alipayhk: refund ${refundId} (HKD ${record.amount}) on ${data.partner_trans_id} is still open (${result.reason}); the scheduled job retries it with the same id`
      );
    }
    return { data: this.withRefund(data, record) };
  }

  /**
   * Ends the trade: an unpaid one is closed; a paid one is cancelled on its day (Alipay reverses
   * it) or, after that day, refunded for what is still refundable (core's `cancelOrder` fallback,
   * idempotent on the cancel's id).
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
        this.recovery
      )
    );
    switch (result.status) {
      case "closed":
      case "reversed":
        return { data: { ...data, trade_status: "closed", cancel_status: result.status } };
      case "refunded": {
        const record: AlipayHkRefundRecord = {
          refund_id: platformRefundId,
          partner_refund_id: result.refund.partnerRefundId,
          amount: formatAmount(result.refund.amount),
          status: "succeeded",
          at: new Date().toISOString(),
        };
        return { data: { ...this.withRefund(data, record), cancel_status: "refunded" } };
      }
      case "failed":
        throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `Alipay HK refused to cancel ${data.partner_trans_id}: ${result.code}`);
      default:
        throw new MedusaError(
          MedusaError.Types.UNEXPECTED_STATE,
          `Alipay HK cancel of ${data.partner_trans_id} is still open (${result.reason}); try again`
        );
    }
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
      const result = await cancelOrder(this.client, { partnerTransId }, { ...this.recovery, cancelAttempts: 2 });
      if (result.status === "closed" || result.status === "reversed") {
        return { data: { ...data, trade_status: "closed", cancel_status: result.status } };
      }
      this.logger?.warn(`alipayhk: could not close ${partnerTransId} for a deleted session: ${"code" in result ? result.code : "reason" in result ? result.reason : result.status}`);
    } catch (error) {
      this.logger?.warn(`alipayhk: could not close ${partnerTransId} for a deleted session: ${(error as Error).message}`);
    }
    return { data };
  }

  async getPaymentStatus(input: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const data = await this.refreshTrade(this.readData(input.data));
    return { data, status: sessionStatusOf(data.trade_status) };
  }

  /** The trade as Alipay reports it now (query), merged into the data. */
  async retrievePayment(input: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const data = this.readData(input.data);
    const { status, query } = await getPaymentStatus(this.client, data.partner_trans_id);
    if (!query?.found) return { data };
    const trade_status: TradeStatus = status === "paid" ? "paid" : status === "closed" ? "closed" : status === "pending" ? "pending" : "unknown";
    return { data: { ...data, trade_status, ...tradeFields(query) } };
  }

  /**
   * With the same amount, `updatePayment` re-checks the trade at Alipay (the scheduled job uses
   * this, through the payment module's `updatePaymentSession`, to expire unpaid QR codes and to
   * notice payments whose notification was lost). A new amount is the subclass's business.
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
        refreshed.trade_status === "paid"
          ? PaymentSessionStatus.AUTHORIZED
          : refreshed.trade_status === "closed"
            ? PaymentSessionStatus.CANCELED
            : undefined;
      return { data: refreshed, status };
    }
    return this.changeAmount(data, amount);
  }

  protected abstract changeAmount(data: AlipayHkPaymentData, amount: MinorUnits): Promise<UpdatePaymentOutput>;

  /**
   * A notification, verified by core against the raw bytes before any field is read (a bad
   * signature throws `invalid_data`). A paid trade maps to `captured` with the session it belongs
   * to; other trades and notification types are ignored.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const raw = payload.rawData ?? "";
    let notification;
    try {
      notification = this.client.verifyNotification(typeof raw === "string" ? raw : Buffer.from(raw));
    } catch (error) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `Alipay HK notification rejected: ${(error as Error).message}`);
    }
    const partnerTransId = notification.outTradeNo ?? notification.partnerTransId;
    if (!partnerTransId || !partnerTransId.startsWith("payses_")) {
      return { action: PaymentActions.NOT_SUPPORTED };
    }
    const session_id = sessionIdOf(partnerTransId);
    const amount = toMedusaAmount(notification.totalFee ?? 0);
    switch (notification.tradeStatus) {
      case "TRADE_SUCCESS":
      case "TRADE_FINISHED":
        return { action: PaymentActions.SUCCESSFUL, data: { session_id, amount } };
      case "TRADE_CLOSED":
        return { action: PaymentActions.CANCELED, data: { session_id, amount } };
      case "WAIT_BUYER_PAY":
        return { action: PaymentActions.PENDING, data: { session_id, amount } };
      default:
        return { action: PaymentActions.NOT_SUPPORTED };
    }
  }

  // ---- used by the scheduled job --------------------------------------------------------------

  /** Retries the refunds of a payment whose outcome was open, with their original ids. */
  async retryOpenRefunds(data: AlipayHkPaymentData): Promise<AlipayHkPaymentData | undefined> {
    const open = (data.refunds ?? []).filter((r) => r.status === "pending");
    if (open.length === 0) return undefined;
    const refunds: OpenRefund[] = open.map((r) => ({
      partnerTransId: data.partner_trans_id,
      platformRefundId: r.refund_id,
      amount: parseAmountLenient(r.amount, "refund amount"),
    }));
    const decisions = await sweepOpenTrades(this.client, { refunds }, this.recovery);
    let updated = data;
    for (const decision of decisions) {
      if (!("platformRefundId" in decision)) continue;
      const record = open.find((r) => r.refund_id === decision.platformRefundId);
      if (!record) continue;
      if (decision.kind === "refund_succeeded") updated = this.withRefund(updated, { ...record, status: "succeeded", code: undefined });
      if (decision.kind === "refund_failed") {
        updated = this.withRefund(updated, { ...record, status: "failed", code: decision.code });
        this.logger?.error(
          `alipayhk: refund ${record.refund_id} (HKD ${record.amount}) on ${data.partner_trans_id} was refused by Alipay (${decision.code}) after Medusa recorded it; refund the buyer another way`
        );
      }
    }
    return updated;
  }
}
