import type { MedusaContainer } from "@medusajs/framework/types";
import { sweepAlipayHkSessions } from "../providers/alipayhk/sweep";

/**
 * Every minute: QR codes nobody paid must not stay `pending` forever, and a payment whose
 * notification never arrived must still become an order. See `sweepAlipayHkSessions`.
 */
export default async function alipayHkSweepOpenSessions(container: MedusaContainer): Promise<void> {
  await sweepAlipayHkSessions(container);
}

export const config = {
  name: "alipayhk-sweep-open-sessions",
  schedule: "* * * * *",
};
