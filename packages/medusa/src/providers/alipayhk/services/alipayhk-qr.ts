import { MedusaError, PaymentSessionStatus } from "@medusajs/framework/utils";
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  UpdatePaymentOutput,
} from "@medusajs/framework/types";
import { cancelOrder, createQrPayment, formatAmount, type MinorUnits } from "@alipayhk/core";
import { AlipayHkBase } from "../core/alipayhk-base";
import { sessionStatusOf } from "../trade-data";
import { asMedusa } from "../errors";
import type { AlipayHkPaymentData } from "../types";

/**
 * Online checkout: the shopper scans a QR code with AlipayHK or Alipay (`alipay.acquire.precreate`).
 * The session data carries `qr_code` and `expires_at` (the store route renders the image on demand); the session
 * stays `pending` until the trade is paid, which the notification, the storefront's polling
 * (cart completion) or the scheduled job finds out.
 */
export class AlipayHkQrService extends AlipayHkBase {
  static override identifier = "alipayhk-qr";
  protected readonly method = "qr" as const;

  private async precreate(sessionId: string, partnerTransId: string, amount: MinorUnits): Promise<AlipayHkPaymentData> {
    const qr = await asMedusa("precreate", () =>
      createQrPayment(this.client, {
        partnerTransId,
        amount,
        subject: this.subject,
        notifyUrl: this.config.notifyUrl,
        expiresInMinutes: this.config.qrExpiresInMinutes,
      }),
    );
    return {
      session_id: sessionId,
      partner_trans_id: partnerTransId,
      method: "qr",
      amount: formatAmount(amount),
      currency: "HKD",
      qr_code: qr.qrCode,
      expires_at: qr.expiresAt.toISOString(),
      trade_status: "pending",
    };
  }

  /** Creates the QR trade; its `out_trade_no` is the payment session id (precreate is idempotent on it). */
  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const sessionId = this.requireSessionId(input.data);
    this.requireHkd(input.currency_code);
    const data = await this.precreate(sessionId, sessionId, this.cents(input.amount));
    return { id: sessionId, data, status: PaymentSessionStatus.PENDING };
  }

  /**
   * Called when the cart is completed (by the storefront, or by the notification's workflow):
   * asks Alipay whether the QR was paid. Paid → `captured` (Alipay has settled); not yet → `pending`,
   * and Medusa refuses to place the order until it is.
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const data = await this.refreshTrade(this.readData(input.data));
    return { data, status: sessionStatusOf(data.trade_status) };
  }

  /** A new amount needs a new QR: the old trade is closed first, so only one can be paid. */
  protected async changeAmount(data: AlipayHkPaymentData, amount: MinorUnits): Promise<UpdatePaymentOutput> {
    const current = await this.refreshTrade(data);
    if (current.trade_status === "paid") {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `${data.partner_trans_id} is already paid; its amount cannot change`);
    }
    if (current.trade_status !== "closed") {
      const closed = await asMedusa("cancel", () => cancelOrder(this.client, { partnerTransId: data.partner_trans_id }, this.recovery));
      // `reversed`: the buyer paid in the meantime and the cancel gave the money back.
      if (closed.status !== "closed" && closed.status !== "reversed") {
        throw new MedusaError(
          MedusaError.Types.UNEXPECTED_STATE,
          `could not close ${data.partner_trans_id} before re-creating it for the new amount (${closed.status}); try again`,
        );
      }
    }
    const attempt = Number(/\.(\d+)$/.exec(data.partner_trans_id)?.[1] ?? "1") + 1;
    const next = await this.precreate(data.session_id, `${data.session_id}.${attempt}`, amount);
    // The closed trade stays known, so Alipay's notification of its close can be checked and acknowledged.
    const previous_trades = [...(data.previous_trades ?? []), { partner_trans_id: data.partner_trans_id, amount: data.amount }];
    return { data: { ...next, previous_trades }, status: PaymentSessionStatus.PENDING };
  }
}
