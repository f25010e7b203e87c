/**
 * `/sandbox/wallet`: the buyer's side, as plain server-rendered HTML. Open QR trades with their
 * QR code, and barcode charges waiting for the buyer, each with Pay and Decline buttons.
 */
import { escapeXml as esc, formatAmount, formatGmt8 } from "@alipayhk/core";
import QRCode from "qrcode";
import type { TradeRecord } from "./ledger";

export interface WalletPageInput {
  open: TradeRecord[];
  recent: TradeRecord[];
  /** The QR value the page was asked to resolve, and what it found. */
  lookup?: { qr: string; trade?: TradeRecord };
  message?: string;
  now: Date;
}

function actions(trade: TradeRecord): string {
  const hidden = `<input type="hidden" name="partner" value="${esc(trade.partner)}"><input type="hidden" name="out_trade_no" value="${esc(trade.partnerTransId)}">`;
  return `<form method="post" action="/sandbox/wallet/pay" class="inline">${hidden}<button name="wallet" value="ALIPAYHK">Pay (AlipayHK)</button> <button name="wallet" value="ALIPAYCN">Pay (Alipay CN)</button></form>
<form method="post" action="/sandbox/wallet/decline" class="inline">${hidden}<button class="decline">Decline</button></form>`;
}

async function openCard(trade: TradeRecord, now: Date): Promise<string> {
  const qr = trade.qrCode ? await QRCode.toString(trade.qrCode, { type: "svg", margin: 1, width: 168 }) : "";
  const expired = trade.qrExpiresAt && Date.parse(trade.qrExpiresAt) <= now.getTime();
  return `<div class="card" id="${esc(trade.partnerTransId)}">
<div class="qr">${qr}</div>
<div class="info">
<h3>${esc(trade.subject)}</h3>
<p class="amount">${esc(trade.currency)} ${formatAmount(trade.amount)}</p>
<p><code>${esc(trade.partnerTransId)}</code> · partner ${esc(trade.partner)}</p>
${trade.qrCode ? `<p class="small"><code>${esc(trade.qrCode)}</code></p>` : '<p class="small">barcode charge waiting for the buyer\'s confirmation</p>'}
${trade.expiresAt ? `<p class="small">closes ${esc(formatGmt8(new Date(trade.expiresAt)))} (GMT+8)${expired ? " · QR code expired" : ""}</p>` : ""}
${actions(trade)}
</div></div>`;
}

function row(trade: TradeRecord): string {
  return `<tr><td><code>${esc(trade.partnerTransId)}</code></td><td>${esc(trade.product)}</td><td>${formatAmount(trade.amount)}</td><td>${esc(trade.status)}${trade.closeReason ? ` (${esc(trade.closeReason)})` : ""}</td><td>${esc(trade.buyer?.wallet ?? "")}</td><td>${esc(formatGmt8(new Date(trade.createdAt)))}</td></tr>`;
}

export async function renderWalletPage(input: WalletPageInput): Promise<string> {
  const cards = await Promise.all(input.open.map((trade) => openCard(trade, input.now)));
  let lookup = "";
  if (input.lookup) {
    lookup = input.lookup.trade
      ? `<p class="found">${esc(input.lookup.qr)} → <a href="#${esc(input.lookup.trade.partnerTransId)}">${esc(input.lookup.trade.partnerTransId)}</a> (${esc(input.lookup.trade.status)})</p>`
      : `<p class="error">No trade for ${esc(input.lookup.qr)}</p>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alipay HK sandbox wallet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#1a1a1a}
h1{color:#1677ff}.card{display:flex;gap:1.5rem;border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}
.qr svg{width:168px;height:168px}.amount{font-size:1.5rem;font-weight:600;margin:.25rem 0}.small{color:#666;font-size:.85rem}
.inline{display:inline}button{padding:.4rem .8rem;margin:.2rem 0;cursor:pointer}.decline{color:#b00}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left;font-size:.9rem}
.message{background:#eef6ff;padding:.5rem 1rem;border-radius:6px}.error{color:#b00}
</style></head><body>
<h1>Alipay HK sandbox wallet</h1>
<p class="small">Sandbox time ${esc(formatGmt8(input.now))} (GMT+8). Nothing here moves real money.</p>
${input.message ? `<p class="message">${esc(input.message)}</p>` : ""}
<form method="get" action="/sandbox/wallet"><label>Scan a code: <input name="qr" size="48" placeholder="https://qr.alipay.com/bax..." value="${esc(input.lookup?.qr ?? "")}"></label> <button>Find</button></form>
${lookup}
<h2>Waiting for payment (${input.open.length})</h2>
${cards.length ? cards.join("\n") : "<p>No open trades. Create one with <code>alipay.acquire.precreate</code>.</p>"}
<h2>Recent trades</h2>
<table><tr><th>out_trade_no</th><th>product</th><th>amount</th><th>status</th><th>wallet</th><th>created (GMT+8)</th></tr>
${input.recent.map(row).join("\n")}
</table>
</body></html>`;
}
