import type { MedusaContainer } from "@medusajs/framework/types";
import { sweepAlipayHkSessions } from "../lib/sweep-open-sessions";

/**
 * Every minute: an unpaid QR must not stay `pending` past its expiry, a payment whose notification
 * never arrived must still become an order, and an open refund must be settled. See
 * `sweepAlipayHkSessions`.
 */
export default async function alipayHkSweepOpenSessions(container: MedusaContainer): Promise<void> {
  await sweepAlipayHkSessions(container);
}

export const config = {
  name: "alipayhk-sweep-open-sessions",
  schedule: "* * * * *",
};
