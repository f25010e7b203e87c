import { formatAmount } from "@alipayhk/core";
import type { ReconDiscrepancy, ReconMatch } from "@alipayhk/core/reconciliation";
import type { AdapterOrder } from "../adapter-client";
import type { ReconciliationResult, ShopLabel } from "../reconciliation";
import type { ReceivedEvent } from "../shop-orders";
import { esc, hkTime, layout, type LayoutContext } from "./layout";

function statusBadge(order: AdapterOrder): string {
  return `<span class="status ${esc(order.status)}">${esc(order.status)}${order.status === "canceled" && order.reversed ? " (reversed)" : ""}</span>`;
}

function actions(order: AdapterOrder): string {
  const id = encodeURIComponent(order.order_id);
  const refundable = order.refundable_amount ?? "0.00";
  const refund =
    order.status === "paid" && refundable !== "0.00"
      ? `<form method="post" action="/admin/orders/${id}/refund" class="inline refund"><input type="text" name="amount" size="7" placeholder="${esc(refundable)}" aria-label="refund amount"><button class="secondary">Refund</button></form>`
      : "";
  const cancel =
    order.status === "pending" || order.status === "paid"
      ? `<form method="post" action="/admin/orders/${id}/cancel" class="inline cancel"><button class="danger">Cancel</button></form>`
      : "";
  return `${refund} ${cancel}`;
}

function refundRows(order: AdapterOrder): string {
  return (order.refunds ?? [])
    .map(
      (
        refund,
      ) => `<tr class="refund-row" data-order="${esc(order.order_id)}" data-return="${esc(refund.return_id)}"><td></td><td colspan="2" class="small">↳ refund <code>${esc(refund.return_id)}</code> (Alipay <code>${esc(refund.partner_refund_id)}</code>) · ${esc(hkTime(refund.created_at))}</td>
<td class="num small">−${esc(refund.amount)}</td><td></td><td><span class="status ${refund.status === "succeeded" ? "paid" : refund.status === "failed" ? "failed" : "pending"}">refund ${esc(refund.status)}</span></td><td></td></tr>`,
    )
    .join("\n");
}

/** Orders as the adapter has them, with the buttons that go back through its API. */
export function adminPage(ctx: LayoutContext, orders: readonly AdapterOrder[], events: readonly ReceivedEvent[]): string {
  const rows = orders
    .map(
      (order) => `<tr class="order-row" data-order="${esc(order.order_id)}" data-status="${esc(order.status)}">
<td><a href="/orders/${encodeURIComponent(order.order_id)}"><code>${esc(order.order_id)}</code></a><br><span class="small">${esc(hkTime(order.created_at))}</span></td>
<td>${esc(order.description)}<br><span class="small">${order.mode === "qr" ? "QR" : "barcode"}${order.payment_inst ? ` · ${esc(order.payment_inst)}` : ""}${order.alipay_trans_id ? ` · <code>${esc(order.alipay_trans_id)}</code>` : ""}</span></td>
<td class="num">${esc(order.amount)}</td><td class="num refunded">${order.refunded_amount && order.refunded_amount !== "0.00" ? esc(order.refunded_amount) : ""}</td>
<td class="num">${order.status === "paid" ? esc(order.refundable_amount ?? "") : ""}</td>
<td>${statusBadge(order)}${order.failure_code ? `<br><span class="small">${esc(order.failure_code)}</span>` : ""}</td><td>${actions(order)}</td></tr>
${refundRows(order)}`,
    )
    .join("\n");
  const eventRows = events
    .slice(0, 15)
    .map(
      (event) =>
        `<tr><td class="small">${esc(hkTime(event.receivedAt))}</td><td><code>${esc(event.type)}</code></td><td><code>${esc(event.orderId)}</code></td><td class="small"><code>${esc(event.id)}</code></td></tr>`,
    )
    .join("\n");
  return layout(
    "Admin",
    ctx,
    `<h1>Orders</h1>
<p class="small">From the adapter's API (<code>GET /v1/orders</code>). Refund and Cancel call <code>POST /v1/returns</code> and <code>POST /v1/orders/{id}/cancel</code>; the outcome comes back as a signed event. Amounts in HKD.</p>
<table id="orders"><tr><th>Order</th><th>Items</th><th class="num">Amount</th><th class="num">Refunded</th><th class="num">Refundable</th><th>Status</th><th></th></tr>
${rows || `<tr><td colspan="7">No orders yet. <a href="/">Go shopping.</a></td></tr>`}
</table>
<h2>Events received</h2>
<p class="small">Verified Standard Webhooks deliveries from the adapter's outbox, newest first.</p>
<table id="events"><tr><th>Received (HKT)</th><th>Type</th><th>Order</th><th>webhook-id</th></tr>${eventRows || `<tr><td colspan="4">None yet.</td></tr>`}</table>`,
    // Another tab, the wallet or the adapter changed an order: swap in the fresh tables, unless
    // the user is typing a refund amount (the forms would lose it).
    `const refresh = async () => {
  const typing = [...document.querySelectorAll("input[name=amount]")].some((input) => input.value !== "" || input === document.activeElement);
  if (typing) return;
  const fresh = new DOMParser().parseFromString(await (await fetch(location.pathname)).text(), "text/html");
  for (const id of ["orders", "events"]) document.getElementById(id).replaceWith(fresh.getElementById(id));
};
new EventSource("/admin/events").addEventListener("change", () => refresh().catch(() => {}));`,
  );
}

function matchedRow(match: ReconMatch, label: ShopLabel | undefined): string {
  const what = match.subject === "order" ? "payment" : "refund";
  const shop = label ? `<code>${esc(label.orderId)}</code>${label.returnId ? ` return <code>${esc(label.returnId)}</code>` : ""}` : "";
  return `<tr class="matched" data-id="${esc(match.id)}" data-subject="${esc(match.subject)}"><td>${what}</td><td><code>${esc(match.id)}</code></td><td>${shop}</td>
<td class="num">${formatAmount(match.amount)}</td><td>${esc(match.alipayState)}</td><td><code>${esc(match.transactionId ?? "")}</code></td></tr>`;
}

function discrepancyRow(d: ReconDiscrepancy): string {
  return `<tr class="discrepancy" data-id="${esc(d.id)}" data-kind="${esc(d.kind)}"><td>${esc(d.kind.replaceAll("_", " "))}</td><td><code>${esc(d.id)}</code></td>
<td class="num">${d.storeAmount === null ? "" : formatAmount(d.storeAmount)}</td><td class="num">${d.alipayAmount === null ? "" : formatAmount(d.alipayAmount)}</td><td>${esc(d.detail)}</td><td class="small">${esc(d.where ?? "")}</td></tr>`;
}

/** The sandbox's files for a day matched against the shop's orders by core's matcher. */
export function reconciliationPage(ctx: LayoutContext, result: ReconciliationResult): string {
  const { report, labels } = result;
  const discrepancies = [
    ...report.missingFromFile,
    ...report.orphans,
    ...report.amountMismatches,
    ...report.refundsNotExecuted,
    ...report.statusMismatches,
    ...report.duplicates,
  ];
  const days = result.days.map((day) => (day === result.day ? `<strong>${esc(day)}</strong>` : `<a href="?day=${esc(day)}">${esc(day)}</a>`)).join(" · ");
  const files = result.files
    .map(
      (file) =>
        `<li><a href="${esc(file.url)}" target="_blank" rel="noopener"><code>${esc(file.name)}</code></a> · ${file.outcome === "records" ? `${file.records} records` : esc(file.outcome)}</li>`,
    )
    .join("");
  const totals = report.totals;
  const fee = (cents: number) => formatAmount(cents);
  return layout(
    "Reconciliation",
    ctx,
    `<h1>Reconciliation · ${esc(result.day)}</h1>
<p class="small">Alipay's transaction and settlement files for the day (GMT+8), fetched from the sandbox, parsed and matched against the adapter's orders and refunds by <code>@alipayhk/core/reconciliation</code>, the same code as <code>alipayhk recon match</code>. Days: ${days}</p>
<ul class="small" id="files">${files}</ul>
<div class="grid" style="margin-bottom:1rem">
<div class="card"><div class="small">Matched</div><div class="price" id="matched-count">${report.matched.length}</div></div>
<div class="card"><div class="small">Discrepancies</div><div class="price" id="discrepancy-count">${report.discrepancyCount}</div></div>
<div class="card"><div class="small">Payments − refunds</div><div class="price">HKD ${fee(totals.netAmount)}</div></div>
<div class="card"><div class="small">Alipay fees · net settlement</div><div class="price">HKD ${fee(totals.feeTotal)} · HKD ${fee(totals.netSettlement)}</div></div>
</div>
<h2>Matched</h2>
<table id="matched"><tr><th>Movement</th><th>Alipay id</th><th>Shop</th><th class="num">Amount</th><th>At Alipay</th><th>Alipay transaction</th></tr>
${report.matched.map((match) => matchedRow(match, labels.get(`${match.subject}:${match.id}`))).join("\n") || `<tr><td colspan="6">Nothing to match on this day.</td></tr>`}
</table>
<h2>Discrepancies</h2>
<table id="discrepancies"><tr><th>Kind</th><th>Id</th><th class="num">Shop</th><th class="num">Alipay</th><th>Detail</th><th>Where</th></tr>
${discrepancies.map(discrepancyRow).join("\n") || `<tr><td colspan="6">None: the shop and Alipay agree.</td></tr>`}
</table>
${report.outsidePeriod.orders + report.outsidePeriod.refunds > 0 ? `<p class="small">${report.outsidePeriod.orders} orders and ${report.outsidePeriod.refunds} refunds of other days are left to those days' files.</p>` : ""}`,
  );
}
