const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A timestamp the way Medusa's order page writes payment and refund times
 * (`dd MMM, yyyy, HH:mm:ss` in the admin user's time zone): "01 Dec, 2026, 22:47:50".
 * An unreadable value is returned as it is.
 */
export function formatAdminDate(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${pad(date.getDate())} ${MONTHS[date.getMonth()]}, ${date.getFullYear()}, ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * An amount in the payment's own currency, as Medusa's order page shows it ("HK$50.00").
 * `amount` is a decimal string ("50.00") or Medusa's major-unit number; display only.
 */
export function formatAdminAmount(amount: string | number, currencyCode: string): string {
  const value = typeof amount === "number" ? amount : Number(amount);
  const currency = currencyCode.toUpperCase();
  if (!Number.isFinite(value)) return `${currency} ${amount}`;
  try {
    return new Intl.NumberFormat([], { style: "currency", currencyDisplay: "narrowSymbol", currency }).format(value);
  } catch {
    return `${currency} ${amount}`;
  }
}
