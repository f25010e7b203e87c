import { checkHkdRange, type MinorUnits } from "../amount";
import type { AlipayHkClient } from "../client";
import { AlipayConfigError } from "../errors";
import { checkSignedText } from "../text";
import type { PrecreateResult, SecondaryMerchant } from "../types";

export interface CreateQrPaymentInput {
  /** The Alipay `out_trade_no`: derive it once per store order and reuse it, so a page refresh never makes a second trade. */
  partnerTransId: string;
  amount: MinorUnits;
  subject: string;
  notifyUrl?: string;
  /** Minutes until the trade closes unpaid (`it_b_pay`). Default 15; keep it below the store's stock hold. */
  expiresInMinutes?: number;
  passback?: string;
  body?: string;
  /** Acquirers/ISVs: the secondary merchant and store this trade is for (sent as `extend_params`). */
  secondaryMerchant?: SecondaryMerchant;
  /** @deprecated use `secondaryMerchant`. */
  extendParams?: SecondaryMerchant;
}

export interface QrPayment {
  partnerTransId: string;
  /** The QR payload to render. */
  qrCode: string;
  picUrl?: string;
  expiresAt: Date;
  precreate: PrecreateResult;
}

const ID = /^[A-Za-z0-9_\-.:]{1,64}$/;

/** Checks a merchant trade id: 1–64 characters from `[A-Za-z0-9_-.:]`. */
export function checkPartnerTransId(id: string, field = "partnerTransId"): string {
  if (typeof id !== "string" || !ID.test(id)) {
    throw new AlipayConfigError(`${field}: expected 1-64 characters from A-Z a-z 0-9 _ - . :, got ${JSON.stringify(String(id).slice(0, 70))}`);
  }
  return id;
}

/**
 * Creates (or re-fetches: precreate is idempotent on the id) the Transaction QR Code for an order.
 *
 * @example
 * const qr = await createQrPayment(client, { partnerTransId: "shop-1001", amount: 1230, subject: "Order #1001", notifyUrl });
 * render(qr.qrCode); // then wait for the notification or poll getPaymentStatus
 */
export async function createQrPayment(client: AlipayHkClient, input: CreateQrPaymentInput): Promise<QrPayment> {
  checkPartnerTransId(input.partnerTransId);
  checkHkdRange(input.amount, "amount");
  checkSignedText(input.subject, "subject");
  if (input.body !== undefined) checkSignedText(input.body, "body");
  const minutes = input.expiresInMinutes ?? 15;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60 * 24 * 15) {
    throw new AlipayConfigError(`expiresInMinutes: expected a whole number of minutes from 1 to 21600, got ${JSON.stringify(minutes)}`);
  }
  const now = client.clock.now();
  const precreate = await client.precreate({
    outTradeNo: input.partnerTransId,
    subject: input.subject,
    totalFee: input.amount,
    notifyUrl: input.notifyUrl,
    itBPay: `${minutes}m`,
    passbackParameters: input.passback,
    body: input.body,
    extendParams: input.secondaryMerchant ?? input.extendParams,
  });
  return {
    partnerTransId: input.partnerTransId,
    qrCode: precreate.qrCode,
    picUrl: precreate.picUrl,
    expiresAt: new Date(now.getTime() + minutes * 60_000),
    precreate,
  };
}
