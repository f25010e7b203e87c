import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http";
import type { IPaymentModuleService } from "@medusajs/framework/types";
import { MedusaError, Modules } from "@medusajs/framework/utils";
import { resolveAlipayProvider, toAlipayProviderId } from "../../../../../lib/alipayhk-provider";
import { qrImageDataUrl } from "../../../../../providers/alipayhk/qr-image";
import type { AlipayHkPaymentData } from "../../../../../providers/alipayhk/types";

/**
 * What a storefront polls while the QR is on screen (every 2-3 s): the trade as Alipay reports it
 * now. It records nothing in Medusa (the notification, cart completion and the scheduled job do): when
 * `trade_status` is `paid`, complete the cart; when `closed`, the QR expired: create a new session;
 * when `failed` (a barcode charge), `failure_code` says why.
 *
 * `?qr_image=true` adds `qr_image`, the QR as an SVG data URL for `<img src>`, rendered now (it is
 * not stored) and only while the QR can still be paid.
 */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const paymentModule = req.scope.resolve<IPaymentModuleService>(Modules.PAYMENT);
  const [session] = await paymentModule.listPaymentSessions({ id: req.params.id }, { select: ["id", "status", "provider_id", "data"] });
  if (!session || !toAlipayProviderId(session.provider_id)) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `Alipay HK payment session ${req.params.id} not found`);
  }
  let data = session.data as AlipayHkPaymentData;
  if (session.status === "pending" && data?.partner_trans_id) {
    data = (await resolveAlipayProvider(paymentModule, session.provider_id).getPaymentStatus({ data })).data as AlipayHkPaymentData;
  }
  const tradeStatus = data?.trade_status ?? "pending";
  const wantsImage = req.query.qr_image === "true" || req.query.qr_image === "1";
  res.json({
    payment_session: {
      id: session.id,
      status: session.status,
      method: data?.method ?? null,
      trade_status: tradeStatus,
      expires_at: data?.expires_at ?? null,
      qr_code: data?.qr_code ?? null,
      ...(wantsImage ? { qr_image: data?.qr_code && tradeStatus === "pending" ? await qrImageDataUrl(data.qr_code) : null } : {}),
      failure_code: data?.failure_code ?? null,
      payment_inst: data?.payment_inst ?? null,
    },
  });
}
