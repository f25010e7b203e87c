import type { IPaymentModuleService, Logger, MedusaContainer } from "@medusajs/framework/types";
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils";

/** Phase 1 skeleton: lists the open Alipay HK sessions. */
export async function sweepAlipayHkSessions(container: MedusaContainer): Promise<{ checked: number }> {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER);
  const paymentModule = container.resolve<IPaymentModuleService>(Modules.PAYMENT);
  const providers = await paymentModule.listPaymentProviders({ is_enabled: true });
  const ids = providers.map((p) => p.id).filter((id) => id.startsWith("pp_alipayhk-"));
  if (ids.length === 0) return { checked: 0 };
  const sessions = await paymentModule.listPaymentSessions({ provider_id: ids, status: ["pending"] } as never);
  logger.debug(`alipayhk sweep: ${sessions.length} open session(s)`);
  return { checked: sessions.length };
}
