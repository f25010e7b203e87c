import type { BigNumberInput } from "@medusajs/framework/types";
import { MathBN } from "@medusajs/framework/utils";
import { formatAmount, toMinorUnits, type MinorUnits } from "@alipayhk/core";

/**
 * Medusa hands amounts over in major units, sometimes as a number (`12.5`), sometimes as its
 * BigNumber raw object (`{ value: "12.5", precision: 20 }`, for refunds). Alipay HK takes HKD
 * cents; a computed amount with more decimals is rounded half-up to the cent.
 */
export function toCents(amount: BigNumberInput, field = "amount"): MinorUnits {
  const decimal = MathBN.convert(amount).decimalPlaces(2, 4 /* ROUND_HALF_UP */).toFixed(2);
  return toMinorUnits(decimal, field);
}

/** Cents back to the major-unit number Medusa's workflows take (`1230` → `12.3`). */
export function toMedusaAmount(cents: MinorUnits): number {
  return Number(formatAmount(cents));
}
