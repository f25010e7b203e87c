import type { IPaymentModuleService } from "@medusajs/framework/types";
import { MedusaError } from "@medusajs/framework/utils";
import { AlipayHkBase } from "../providers/alipayhk/core/alipayhk-base";

/** `alipayhk-qr_alipayhk` or `pp_alipayhk-qr_alipayhk` → `pp_alipayhk-qr_alipayhk`; anything else → undefined. */
export function toAlipayProviderId(param: string | undefined): string | undefined {
  if (!param) return undefined;
  const id = param.startsWith("pp_") ? param : `pp_${param}`;
  return /^pp_alipayhk-(qr|barcode)(_[A-Za-z0-9-]+)?$/.test(id) ? id : undefined;
}

/**
 * The provider instance registered as `providerId`. The payment module keeps its providers in its
 * own container and has no public method for the few calls the scheduled job needs beyond the
 * module's API (retrying open refunds), so this reads the module's container, and fails loudly if
 * a Medusa upgrade moves it.
 */
export function resolveAlipayProvider(paymentModule: IPaymentModuleService, providerId: string): AlipayHkBase {
  const container = (paymentModule as unknown as { __container__?: Record<string, unknown> }).__container__;
  let provider: unknown;
  try {
    provider = container?.[providerId];
  } catch {
    provider = undefined;
  }
  if (!(provider instanceof AlipayHkBase)) {
    throw new MedusaError(
      MedusaError.Types.NOT_FOUND,
      `@alipayhk/medusa: payment provider ${providerId} is not registered in the payment module (or this Medusa version keeps providers elsewhere)`,
    );
  }
  return provider;
}
