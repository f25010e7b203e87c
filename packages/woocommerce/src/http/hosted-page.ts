import QRCode from "qrcode";
import type { PaymentView } from "../payments.js";

/**
 * The hosted payment page: the QR as a PNG (so any phone camera or wallet can read it from the
 * screen), the amount, a countdown, and a small script that follows the status and moves to
 * WooCommerce's thank-you page once paid. Without JavaScript the page refreshes itself.
 */
export async function renderPaymentPage(view: Extract<PaymentView, { kind: "qr" }>, key: string): Promise<string> {
  const png = await QRCode.toDataURL(view.qrCode, { errorCorrectionLevel: "M", margin: 4, scale: 8 });
  const statusUrl = `/pay/${view.orderId}/status?key=${encodeURIComponent(key)}`;
  return page(
    `Pay order #${esc(view.orderNumber)} with Alipay HK`,
    `<main>
  <h1>Pay with Alipay HK</h1>
  <p class="amount">Order #${esc(view.orderNumber)} &middot; <strong>HKD ${esc(view.amount)}</strong></p>
  <img id="qr" src="${png}" alt="Alipay HK payment QR code" data-trade="${esc(view.partnerTransId)}">
  <p>Scan with the AlipayHK or Alipay app.</p>
  <p id="status" role="status">Waiting for payment&hellip; <span id="left"></span></p>
  <p><a id="refresh" href="" hidden>Show a new QR code</a></p>
</main>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<script>
(() => {
  const statusUrl = ${JSON.stringify(statusUrl)};
  const expiresAt = Date.parse(${JSON.stringify(view.expiresAt)});
  const status = document.getElementById("status");
  const left = document.getElementById("left");
  const refresh = document.getElementById("refresh");
  let done = false;
  const tick = () => {
    const s = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    left.textContent = "(" + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + " left)";
  };
  const poll = async () => {
    if (done) return;
    try {
      const res = await fetch(statusUrl, { cache: "no-store", headers: { accept: "application/json" } });
      const body = await res.json();
      if (body.state === "paid" && body.redirect) {
        done = true;
        status.textContent = "Paid. Thank you!";
        window.location.replace(body.redirect);
        return;
      }
      if (body.state === "expired") {
        done = true;
        status.textContent = "This QR code has expired.";
        document.getElementById("qr").style.opacity = "0.2";
        refresh.hidden = false;
        return;
      }
      if (body.state === "closed") {
        done = true;
        status.textContent = body.message || "This order can no longer be paid.";
        document.getElementById("qr").remove();
        return;
      }
    } catch (e) {
      // network blip: keep polling
    }
    setTimeout(poll, 2000);
  };
  tick();
  setInterval(tick, 1000);
  setTimeout(poll, 1000);
})();
</script>`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return page(esc(title), `<main><h1>${esc(title)}</h1><p id="status">${esc(message)}</p></main>`);
}

/**
 * The order's payment as the bridge knows it (WooCommerce's "transaction" link): its trades and
 * refunds. Reached only through a link the plugin signed for a shop manager.
 */
export function renderOrderPaymentPage(
  orderId: number,
  trades: ReadonlyArray<{
    partnerTransId: string;
    kind: string;
    status: string;
    amount: string;
    alipayTransId: string | null;
    paidAt: string | null;
    createdAt: string;
  }>,
  refunds: ReadonlyArray<{
    refundKey: string;
    wcRefundId: number | null;
    amount: string;
    status: string;
    partnerRefundId: string | null;
    lastError: string | null;
  }>,
): string {
  const row = (cells: Array<string | number | null>) => `<tr>${cells.map((c) => `<td>${esc(c === null ? "-" : String(c))}</td>`).join("")}</tr>`;
  const tradeRows = trades.map((t) => row([t.partnerTransId, t.kind, t.status, `HKD ${t.amount}`, t.alipayTransId, t.paidAt ?? t.createdAt])).join("");
  const refundRows = refunds.map((r) => row([r.refundKey, r.wcRefundId, `HKD ${r.amount}`, r.status, r.partnerRefundId, r.lastError])).join("");
  return page(
    `Order #${orderId}: Alipay HK`,
    `<main style="max-width:60rem;text-align:left"><h1>Order #${orderId}: Alipay HK</h1>
<h2>Trades</h2><table id="trades"><tr><th>partner_trans_id</th><th>kind</th><th>status</th><th>amount</th><th>Alipay trade no.</th><th>time</th></tr>${tradeRows || '<tr><td colspan="6">none</td></tr>'}</table>
<h2>Refunds</h2><table id="refunds"><tr><th>partner_refund_id</th><th>WooCommerce refund</th><th>amount</th><th>status</th><th>Alipay refund</th><th>last error</th></tr>${refundRows || '<tr><td colspan="6">none</td></tr>'}</table></main>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;justify-content:center}
main{background:#fff;margin:2rem 1rem;padding:2rem;border-radius:12px;max-width:26rem;text-align:center;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;color:#1677ff}#qr{image-rendering:pixelated;display:block;margin:1rem auto}.amount{font-size:1.1rem}
</style></head><body>${body}</body></html>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
