import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http";
import { ContainerRegistrationKeys } from "@medusajs/framework/utils";
import { toAlipayProviderId } from "../../../../../../lib/alipayhk-provider";
import type { AlipayHkPaymentData } from "../../../../../../providers/alipayhk/types";

interface PaymentRow {
  id: string;
  provider_id: string;
  amount: number;
  currency_code: string;
  captured_at?: string | null;
  canceled_at?: string | null;
  data?: AlipayHkPaymentData | null;
}

/** The Alipay HK side of an order's payments, for the order page widget (admin only). */
export async function GET(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY);
  const { data: orders } = await query.graph({
    entity: "order",
    fields: [
      "id",
      "payment_collections.payments.id",
      "payment_collections.payments.provider_id",
      "payment_collections.payments.amount",
      "payment_collections.payments.currency_code",
      "payment_collections.payments.captured_at",
      "payment_collections.payments.canceled_at",
      "payment_collections.payments.data",
    ],
    filters: { id: req.params.id },
  });
  const order = orders[0] as { payment_collections?: Array<{ payments?: PaymentRow[] }> } | undefined;
  const payments = (order?.payment_collections ?? [])
    .flatMap((collection) => collection.payments ?? [])
    .filter((payment) => toAlipayProviderId(payment.provider_id))
    .map((payment) => {
      const data = payment.data ?? ({} as Partial<AlipayHkPaymentData>);
      return {
        id: payment.id,
        provider_id: payment.provider_id,
        amount: payment.amount,
        currency_code: payment.currency_code,
        captured_at: payment.captured_at ?? null,
        canceled_at: payment.canceled_at ?? null,
        method: data.method ?? null,
        partner_trans_id: data.partner_trans_id ?? null,
        alipay_trans_id: data.alipay_trans_id ?? null,
        wallet: data.payment_inst ?? null,
        buyer_login_id: data.buyer_login_id ?? null,
        trade_status: data.trade_status ?? null,
        paid_at: data.paid_at ?? null,
        refunds: data.refunds ?? [],
      };
    });
  res.json({ payments });
}
