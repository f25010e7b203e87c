import type { ExecArgs } from "@medusajs/framework/types";
import { ContainerRegistrationKeys } from "@medusajs/framework/utils";
import { seedAlipayHkStore } from "./seed-store";

/** `pnpm seed`: an HKD store taking Alipay HK (see `seed-store.ts`). Prints the publishable key. */
export default async function seed({ container }: ExecArgs): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER);
  const seeded = await seedAlipayHkStore(container);
  logger.info(`Seeded: region ${seeded.regionId}, product variant ${seeded.variantId}`);
  logger.info(`Publishable API key (x-publishable-api-key): ${seeded.publishableKey}`);
}
