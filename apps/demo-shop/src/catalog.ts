import { sanitizeSignedText, type MinorUnits } from "@alipayhk/core";

/** A product on the shelf; prices are integer cents (HKD), never floats. */
export interface Product {
  sku: string;
  name: string;
  blurb: string;
  price: MinorUnits;
  /** A colour for the product tile (the demo ships no images). */
  colour: string;
}

export const PRODUCTS: readonly Product[] = [
  { sku: "milk-tea", name: "Hong Kong milk tea", blurb: "Silky, strong, pulled through a sackcloth filter.", price: 3800, colour: "#c8935a" },
  { sku: "egg-tart", name: "Egg tarts (box of 4)", blurb: "Short crust, wobbly custard, still warm.", price: 4850, colour: "#f2c14e" },
  { sku: "pineapple-bun", name: "Pineapple bun", blurb: "No pineapple; a crackly sugar top and a slab of butter.", price: 1650, colour: "#e8a33d" },
  { sku: "tote", name: "Star Ferry tote bag", blurb: "Heavy canvas, green and white.", price: 12900, colour: "#2f7d5b" },
];

export function productBySku(sku: string): Product | undefined {
  return PRODUCTS.find((product) => product.sku === sku);
}

export interface CartLine {
  product: Product;
  quantity: number;
}

/** Each line's quantity stays within 1-20: enough for a demo and far from any amount limit. */
export const MAX_QUANTITY = 20;

/**
 * The cart lives in a cookie (`cart=milk-tea:2,egg-tart:1`): no server state, nothing to lose on
 * a restart. Unknown products and bad quantities are dropped, not errors: a cookie is user input.
 */
export function parseCart(cookie: string | undefined): CartLine[] {
  const lines: CartLine[] = [];
  for (const part of (cookie ?? "").split(",")) {
    const [sku, qty] = part.split(":");
    const product = sku ? productBySku(sku) : undefined;
    const quantity = Number(qty);
    if (!product || !Number.isInteger(quantity) || quantity < 1 || lines.some((line) => line.product.sku === sku)) continue;
    lines.push({ product, quantity: Math.min(quantity, MAX_QUANTITY) });
  }
  return lines;
}

export function serializeCart(lines: readonly CartLine[]): string {
  return lines.map((line) => `${line.product.sku}:${line.quantity}`).join(",");
}

/** The cart with `quantity` more (or fewer) of a product; a line at 0 goes away. */
export function changeCart(lines: readonly CartLine[], sku: string, quantity: number, mode: "add" | "set"): CartLine[] {
  const product = productBySku(sku);
  if (!product) return [...lines];
  const current = lines.find((line) => line.product.sku === sku)?.quantity ?? 0;
  const next = Math.max(0, Math.min(MAX_QUANTITY, mode === "add" ? current + quantity : quantity));
  const others = lines.filter((line) => line.product.sku !== sku);
  if (next === 0) return others;
  return current === 0 ? [...lines, { product, quantity: next }] : lines.map((line) => (line.product.sku === sku ? { product, quantity: next } : line));
}

export function cartTotal(lines: readonly CartLine[]): MinorUnits {
  return lines.reduce((sum, line) => sum + line.product.price * line.quantity, 0);
}

/** What Alipay shows the buyer as the subject: the lines, within the adapter's 128 characters. */
export function describeCart(lines: readonly CartLine[]): string {
  // The description becomes Alipay's signed subject: product names lose any "&" or "=".
  const text = sanitizeSignedText(lines.map((line) => `${line.quantity} x ${line.product.name}`).join(", "));
  return text.length <= 128 ? text : `${text.slice(0, 125)}...`;
}
