import type { AlipayHkClient } from "../client";
import type { AlipayTransStatus, QueryResult } from "../types";

/**
 * The one platform-neutral payment status every adapter maps to its own words:
 * `pending` (QR shown, buyer not paid yet), `paid`, `closed` (expired, cancelled or reversed, no
 * money kept), `not_found` (Alipay has no such trade), `unknown` (could not be determined now).
 */
export type NeutralStatus = "pending" | "paid" | "closed" | "not_found" | "unknown";

/** Maps `alipay_trans_status` / `trade_status` to the neutral status. */
export function toNeutralStatus(status: AlipayTransStatus | undefined): NeutralStatus {
  switch (status) {
    case "WAIT_BUYER_PAY":
      return "pending";
    case "TRADE_SUCCESS":
    case "TRADE_FINISHED":
      return "paid";
    case "TRADE_CLOSED":
      return "closed";
    default:
      return "unknown";
  }
}

export interface PaymentStatusResult {
  status: NeutralStatus;
  query?: QueryResult;
  error?: unknown;
}

/** Queries a trade and maps it to the neutral status; a failed query is `unknown`, never `closed`. */
export async function getPaymentStatus(client: AlipayHkClient, partnerTransId: string): Promise<PaymentStatusResult> {
  try {
    const query = await client.query({ partnerTransId });
    if (!query.found) return { status: query.outcome.kind === "failed" ? "not_found" : "unknown", query };
    return { status: toNeutralStatus(query.status), query };
  } catch (error) {
    return { status: "unknown", error };
  }
}
