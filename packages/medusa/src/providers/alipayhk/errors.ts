import { MedusaError } from "@medusajs/framework/utils";
import type { AlipayError } from "@alipayhk/core";

/**
 * Medusa's HTTP layer answers only `MedusaError`s with their message (anything else is a bare
 * 500), so core's errors are translated here: a configuration or input problem is `invalid_data`,
 * a definite refusal by Alipay is `not_allowed`, and an open outcome (timeout, network, unknown,
 * a reply that did not verify) is `unexpected_state`: retry, never assume it failed.
 */
export function toMedusaError(error: unknown, action: string): unknown {
  if (error instanceof MedusaError) return error;
  const alipay = error as Partial<AlipayError> & Error;
  const message = `Alipay HK ${action}: ${alipay?.message ?? String(error)}`;
  switch (alipay?.type) {
    case "config":
      return new MedusaError(MedusaError.Types.INVALID_DATA, message);
    case "gateway":
    case "business":
      return new MedusaError(MedusaError.Types.NOT_ALLOWED, message);
    case "network":
    case "timeout":
    case "unknown_outcome":
    case "protocol":
    case "signature":
      return new MedusaError(MedusaError.Types.UNEXPECTED_STATE, message);
    default:
      if ((error as { name?: string })?.name === "AmountError") {
        return new MedusaError(MedusaError.Types.INVALID_DATA, message);
      }
      return error;
  }
}

/** Runs `work`, translating what core throws (see `toMedusaError`). */
export async function asMedusa<T>(action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toMedusaError(error, action);
  }
}
