import { MedusaError, PaymentSessionStatus } from "@medusajs/framework/utils";
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  UpdatePaymentOutput,
} from "@medusajs/framework/types";
import { formatAmount, parseAmountLenient, payByBarcode, resolveOpenCharge, type BarcodePaymentResult, type MinorUnits } from "@alipayhk/core";
import { AlipayHkBase } from "../core/alipayhk-base";
import { sessionStatusOf } from "../trade-data";
import { asMedusa } from "../errors";
import type { AlipayHkPaymentData } from "../types";
import { maskBuyerCode, openBuyerCode, sealBuyerCode } from "../buyer-code";

/** Where the storefront gives the buyer's code when it creates the session. */
function givenBuyerCode(data: Record<string, unknown> | undefined): string | undefined {
  const code = data?.buyer_code ?? data?.auth_code;
  return typeof code === "string" && code.trim() !== "" && !code.includes("*") ? code.replace(/\s+/g, "") : undefined;
}

/**
 * In-store/POS orders: the cashier scans the buyer's payment code and creates the payment session
 * with `data: { buyer_code }`; completing the cart charges it (`alipay.acquire.overseas.spot.pay`)
 * through core's recovery: an unknown outcome or a timeout is resolved by query, then cancel, and
 * the session's trade id is charged at most once.
 */
export class AlipayHkBarcodeService extends AlipayHkBase {
  static override identifier = "alipayhk-barcode";
  protected readonly method = "barcode" as const;

  /** Records the charge to make; nothing is sent to Alipay until the cart is completed. */
  async initiatePayment(input: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const sessionId = this.requireSessionId(input.data);
    this.requireHkd(input.currency_code);
    const buyerCode = givenBuyerCode(input.data);
    if (!buyerCode) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        "alipayhk-barcode: data.buyer_code is missing (the code scanned from the buyer's AlipayHK/Alipay app)",
      );
    }
    const data: AlipayHkPaymentData = {
      session_id: sessionId,
      partner_trans_id: sessionId,
      method: "barcode",
      amount: formatAmount(this.cents(input.amount)),
      currency: "HKD",
      // The Store API returns session data to the storefront: only a masked copy is readable.
      buyer_code: maskBuyerCode(buyerCode),
      buyer_code_sealed: sealBuyerCode(buyerCode, this.sealSecret, sessionId),
    };
    // Medusa merges the data the session was created with into ours: overwrite every copy.
    if (input.data?.auth_code !== undefined) data.auth_code = maskBuyerCode(String(input.data.auth_code));
    return { id: sessionId, data, status: PaymentSessionStatus.PENDING };
  }

  /**
   * Charges the code once. A session whose charge already has an outcome is not charged again:
   * paid → `captured`, refused → `error`, reversed → `canceled`; an open one is resolved by query
   * and cancel (`pending` while it cannot be; the scheduled job keeps resolving it).
   */
  async authorizePayment(input: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const data = this.readData(input.data);
    if (data.trade_status === "paid" || data.trade_status === "failed" || data.trade_status === "closed") {
      return { data, status: sessionStatusOf(data.trade_status) };
    }
    let result: BarcodePaymentResult;
    if (data.trade_status === "unresolved" || data.trade_status === "unknown") {
      result = await asMedusa("query", () =>
        resolveOpenCharge(
          this.client,
          { partnerTransId: data.partner_trans_id, amount: parseAmountLenient(data.amount, "amount") },
          [],
          this.recovery,
          undefined,
          "barcode",
        ),
      );
    } else {
      const buyerCode = this.buyerCodeOf(data);
      if (!buyerCode) {
        throw new MedusaError(
          MedusaError.Types.INVALID_DATA,
          "alipayhk-barcode: the session holds no buyer code this provider can read; create a new session with data.buyer_code",
        );
      }
      result = await asMedusa("spot.pay", () =>
        payByBarcode(
          this.client,
          {
            partnerTransId: data.partner_trans_id,
            amount: parseAmountLenient(data.amount, "amount"),
            buyerCode,
            transName: this.subject,
          },
          this.recovery,
        ),
      );
    }
    const next = this.applyEvents(data, result.events);
    const open = result.events.find((e) => e.type === "trade.open");
    if (open) {
      this.logger?.warn(`alipayhk: barcode charge ${data.partner_trans_id} is unresolved (${open.reason ?? "open"}); the scheduled job keeps resolving it`);
    }
    return { data: next, status: sessionStatusOf(next.trade_status) };
  }

  /** The secret the buyer code is sealed with: the provider's own signing secret. */
  private get sealSecret(): string {
    const secret = this.config.md5Key ?? this.config.privateKey;
    if (!secret) throw new MedusaError(MedusaError.Types.INVALID_DATA, "alipayhk-barcode: no md5Key or privateKey to seal the buyer code with");
    return secret;
  }

  /** The sealed code of this session (or, for sessions written before 0.2, the plain one). */
  private buyerCodeOf(data: AlipayHkPaymentData): string | undefined {
    if (typeof data.buyer_code_sealed === "string") return openBuyerCode(data.buyer_code_sealed, this.sealSecret, data.session_id);
    return givenBuyerCode(data);
  }

  /** Before the charge, the amount (and the code) may still change; after it, they cannot. */
  protected async changeAmount(data: AlipayHkPaymentData, amount: MinorUnits): Promise<UpdatePaymentOutput> {
    if (data.trade_status !== undefined) {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `${data.partner_trans_id} was already charged; its amount cannot change`);
    }
    return { data: { ...data, amount: formatAmount(amount) }, status: PaymentSessionStatus.PENDING };
  }
}
