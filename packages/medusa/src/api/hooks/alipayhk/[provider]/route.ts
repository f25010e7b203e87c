import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http";
import type { IPaymentModuleService, Logger } from "@medusajs/framework/types";
import { ContainerRegistrationKeys, MedusaError, Modules, PaymentActions } from "@medusajs/framework/utils";
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows";
import { NOTIFY_SUCCESS } from "@alipayhk/core";
import { toAlipayProviderId } from "../../../../lib/alipayhk-provider";

function success(res: MedusaResponse): void {
  res.status(200).setHeader("content-type", "text/plain; charset=utf-8");
  res.send(NOTIFY_SUCCESS);
}

/** A refusal: anything but `success` makes Alipay send the notification again later. */
function refuse(res: MedusaResponse, status: number, code: string, message: string): void {
  res.status(status).json({ error: message, code });
}

/**
 * Alipay's asynchronous notification (`notify_url`). Medusa's own `/hooks/payment/:provider`
 * answers `OK`, which Alipay takes as a failure and retries for a day, so this route:
 * 1. hands the raw bytes to the provider's `getWebhookActionAndData`, where core's
 *    `checkNotification` checks them before anything is read: well-formed unique fields, no value
 *    that re-splits the signed string, the signature, `seller_id`/`partner` = this merchant, the
 *    trade being a payment session this store created (its amount and currency), and the fact
 *    confirmed by a query to Alipay. Refused: nothing changes and the answer is not `success`: 400 (404
 *    for an unknown provider) for a definite refusal, 503 when a later delivery can pass (e.g. the
 *    confirming query failed), with a JSON body `{ error, code }` naming core's refusal;
 * 2. for a confirmed payment only (`trade.paid`, with the amount core checked), runs Medusa's
 *    `processPaymentWorkflow` (authorize + capture the session, complete the cart into an order)
 *    synchronously, the same path Medusa's webhook subscriber takes;
 * 3. answers `success` only once that is recorded (500 with `{ error, code: "not_recorded" }` if
 *    the workflow fails, so Alipay sends it again). Accepted facts other than a payment (a
 *    confirmed close, a buyer still paying, a refund result) change nothing here and are answered
 *    `success`: the scheduled job settles closes and refunds by query. A repeated notification finds the payment
 *    already captured and the order already placed, and is answered `success` again.
 */
export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const logger = req.scope.resolve<Logger>(ContainerRegistrationKeys.LOGGER);
  const providerId = toAlipayProviderId(req.params.provider);
  if (!providerId) {
    refuse(res, 404, "unknown_provider", `no Alipay HK provider ${JSON.stringify(String(req.params.provider).slice(0, 64))}`);
    return;
  }
  const rawBody = (req as MedusaRequest & { rawBody?: Buffer }).rawBody;
  if (!rawBody || rawBody.length === 0) {
    refuse(res, 400, "malformed", "notification refused: expected a form body (application/x-www-form-urlencoded)");
    return;
  }

  const paymentModule = req.scope.resolve<IPaymentModuleService>(Modules.PAYMENT);
  let result;
  try {
    result = await paymentModule.getWebhookActionAndData({
      provider: providerId,
      payload: {
        data: (req.body ?? {}) as Record<string, unknown>,
        rawData: rawBody,
        headers: req.headers as Record<string, unknown>,
      },
    });
  } catch (error) {
    const type = (error as { type?: string }).type;
    const code = (error as { code?: string }).code ?? "refused";
    const message = (error as Error).message;
    if (type === MedusaError.Types.INVALID_DATA || type === MedusaError.Types.NOT_FOUND) {
      logger.warn(`alipayhk notify (${providerId}) rejected: ${message}`);
      refuse(res, type === MedusaError.Types.NOT_FOUND ? 404 : 400, code, message);
      return;
    }
    if (type === MedusaError.Types.UNEXPECTED_STATE) {
      logger.warn(`alipayhk notify (${providerId}) not accepted yet: ${message}`);
      refuse(res, 503, code, message);
      return;
    }
    throw error;
  }

  const settles = result.action === PaymentActions.SUCCESSFUL || result.action === PaymentActions.AUTHORIZED;
  if (settles && result.data?.session_id) {
    try {
      await processPaymentWorkflow(req.scope).run({ input: result });
    } catch (error) {
      // Not recorded: no `success`, so Alipay sends the notification again later.
      logger.error(
        `alipayhk notify (${providerId}): payment session ${result.data.session_id} is paid at Alipay but could not be recorded: ${(error as Error).message}`,
      );
      refuse(res, 500, "not_recorded", `payment session ${result.data.session_id} could not be recorded; send it again`);
      return;
    }
  }
  success(res);
}
