import { MAGIC_BUYER_CODES } from "@alipayhk/sandbox";
import { cartTotal, PRODUCTS, type CartLine } from "../catalog";
import { orderStatusView } from "../order-status";
import type { ShopOrder } from "../shop-orders";
import { esc, hkTime, layout, money, type LayoutContext } from "./layout";

export function storefrontPage(ctx: LayoutContext): string {
  const tiles = PRODUCTS.map(
    (product) => `<div class="card product" data-sku="${esc(product.sku)}">
<div class="tile" style="background:${esc(product.colour)}"></div>
<h3>${esc(product.name)}</h3><p class="small">${esc(product.blurb)}</p>
<p class="price">${money(product.price)}</p>
<form method="post" action="/cart/add"><input type="hidden" name="sku" value="${esc(product.sku)}"><button>Add to cart</button></form>
</div>`,
  ).join("\n");
  return layout(
    "Shop",
    ctx,
    `<h1>Snacks from the harbour</h1>
<p class="small">A demo storefront: checkout takes Alipay HK through <code>@alipayhk/webhook</code>, against the local sandbox gateway. Nothing here moves real money.</p>
<div class="grid">${tiles}</div>`,
  );
}

export function cartPage(ctx: LayoutContext, lines: readonly CartLine[]): string {
  if (lines.length === 0) return layout("Cart", ctx, `<h1>Your cart</h1><p>Your cart is empty. <a href="/">Pick something from the shop.</a></p>`);
  const rows = lines
    .map(
      (line) => `<tr data-sku="${esc(line.product.sku)}"><td>${esc(line.product.name)}</td><td class="num">${money(line.product.price)}</td>
<td><form method="post" action="/cart/set" class="inline"><input type="hidden" name="sku" value="${esc(line.product.sku)}"><input type="text" name="quantity" value="${line.quantity}" size="2" aria-label="quantity"><button class="secondary">Update</button></form></td>
<td class="num">${money(line.product.price * line.quantity)}</td></tr>`,
    )
    .join("\n");
  const codes = MAGIC_BUYER_CODES.map((magic) => `<option value="${esc(magic.code)}">${esc(magic.description)}</option>`).join("");
  return layout(
    "Cart",
    ctx,
    `<h1>Your cart</h1>
<table><tr><th>Product</th><th class="num">Price</th><th>Quantity</th><th class="num">Subtotal</th></tr>
${rows}
<tr><th colspan="3">Total</th><th class="num" id="cart-total">${money(cartTotal(lines))}</th></tr></table>
<form method="post" action="/checkout" class="card" style="margin-top:1rem">
<h2 style="margin-top:0">Checkout</h2>
<p><label><input type="radio" name="method" value="qr" checked> <strong>Alipay HK QR</strong>: the shop shows a QR code, the buyer scans it with AlipayHK or Alipay</label></p>
<p><label><input type="radio" name="method" value="barcode"> <strong>Alipay HK barcode</strong>: the cashier scans the payment code in the buyer's wallet</label><br>
<span class="small" style="margin-left:1.6rem">Buyer's payment code: <input type="text" name="buyer_code" value="280000000000000001" size="24" list="magic-codes" aria-label="buyer's payment code"> (sandbox magic codes decide the outcome)</span>
<datalist id="magic-codes">${codes}</datalist></p>
<button id="checkout">Pay ${money(cartTotal(lines))}</button>
</form>`,
  );
}

/** The live status block; the script below swaps its text when the event stream says so. */
function statusBlock(order: ShopOrder): string {
  const view = orderStatusView(order);
  return `<p><span id="status" class="status ${esc(view.status)}" data-status="${esc(view.status)}">${esc(view.label)}</span></p>
<p id="status-detail" class="small">${esc(view.detail)}</p>`;
}

/** Runs in the browser: no build step, a few lines of vanilla JS on Server-Sent Events. */
function liveScript(orderId: string): string {
  return `
const source = new EventSource(${JSON.stringify(`/orders/${encodeURIComponent(orderId)}/events`)});
source.addEventListener("order", (message) => {
  const view = JSON.parse(message.data);
  const status = document.getElementById("status");
  status.textContent = view.label;
  status.className = "status " + view.status;
  status.dataset.status = view.status;
  document.getElementById("status-detail").textContent = view.detail;
  const qr = document.getElementById("qr-box");
  if (qr && view.status !== "pending") qr.hidden = true;
});`;
}

export function orderPage(ctx: LayoutContext, order: ShopOrder, walletUrl: string): string {
  const payment = order.payment;
  const rows = order.lines
    .map((line) => `<tr><td>${line.quantity} × ${esc(line.name)}</td><td class="num">${money(line.unitPrice * line.quantity)}</td></tr>`)
    .join("");
  const qr =
    payment?.status === "pending" && payment.qr_image_url
      ? `<div id="qr-box" class="card" style="text-align:center;flex:0 0 auto">
<img id="qr" src="${esc(payment.qr_image_url)}" width="260" height="260" alt="Alipay HK QR code">
<p class="small">Expires ${esc(hkTime(payment.expires_at))} (HKT)</p>
<p><a class="button" id="wallet-link" href="${esc(`${walletUrl}?qr=${encodeURIComponent(payment.qr_code ?? "")}#${encodeURIComponent(payment.partner_trans_id)}`)}" target="_blank" rel="noopener">Pay it in the sandbox wallet ↗</a></p>
</div>`
      : "";
  return layout(
    `Order ${order.orderId}`,
    ctx,
    `<h1>${payment?.mode === "barcode" || order.mode === "barcode" ? "Alipay HK barcode payment" : "Pay with Alipay HK"}</h1>
<div style="display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start">
${qr}
<div class="card" style="flex:1;min-width:18rem">
<p class="small">Order <code id="order-id">${esc(order.orderId)}</code> · ${esc(hkTime(order.createdAt))} (HKT)</p>
<p style="font-size:1.8rem;font-weight:700;margin:.3rem 0" id="amount">${money(order.total)}</p>
${statusBlock(order)}
<table><tr><th>Item</th><th class="num">Amount</th></tr>${rows}<tr><th>Total</th><th class="num">${money(order.total)}</th></tr></table>
</div></div>`,
    liveScript(order.orderId),
  );
}

export function notFoundPage(ctx: LayoutContext, what: string): string {
  return layout("Not found", ctx, `<h1>Not found</h1><p>${esc(what)}</p><p><a href="/">Back to the shop</a></p>`);
}

export function errorPage(ctx: LayoutContext, status: number, message: string): string {
  return layout("Error", ctx, `<h1>Something went wrong (${status})</h1><p>${esc(message)}</p><p><a href="/">Back to the shop</a></p>`);
}
