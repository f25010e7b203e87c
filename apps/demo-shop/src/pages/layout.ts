import { escapeXml, formatAmount, formatGmt8, type MinorUnits } from "@alipayhk/core";

/** Escapes text for HTML (core's XML escaper: the same five characters). */
export const esc = escapeXml;

export const money = (cents: MinorUnits): string => `HKD ${formatAmount(cents)}`;

/** An ISO time as Hong Kong sees it (Alipay's day is GMT+8 too). */
export const hkTime = (iso: string | undefined): string => (iso ? `${formatGmt8(new Date(iso))}` : "");

export interface LayoutContext {
  walletUrl: string;
  cartCount: number;
  /** A one-line notice at the top; `error` when something was refused. */
  message?: { text: string; kind: "info" | "error" };
}

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7fb}
header{background:#fff;border-bottom:1px solid #e3e6ef}
.bar{max-width:64rem;margin:0 auto;padding:.8rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
.brand{font-weight:700;font-size:1.15rem;color:#1d2433;text-decoration:none}.brand span{color:#1677ff}
nav{display:flex;gap:1rem;flex:1}nav a,.wallet{color:#3a4660;text-decoration:none}nav a:hover{color:#1677ff}
.wallet{font-size:.85rem;border:1px solid #c9d6f5;border-radius:999px;padding:.2rem .7rem;background:#f0f5ff}
main{max-width:64rem;margin:0 auto;padding:1.2rem}
h1{font-size:1.5rem;margin:.4rem 0 1rem}
.notice{padding:.6rem 1rem;border-radius:8px;background:#e8f1ff;margin-bottom:1rem}.notice.error{background:#fdecec;color:#9b1c1c}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:1rem}
.card{background:#fff;border:1px solid #e3e6ef;border-radius:12px;padding:1rem}
.tile{height:6rem;border-radius:8px;margin-bottom:.7rem}
.price{font-weight:600}
button,.button{font:inherit;background:#1677ff;color:#fff;border:0;border-radius:8px;padding:.45rem .9rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#eef1f7;color:#1d2433}button.danger{background:#fff;color:#b42318;border:1px solid #f3b5b0}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:12px;overflow:hidden;border:1px solid #e3e6ef}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid #eef0f5;font-size:.92rem;vertical-align:top}
th{background:#fafbfd;font-weight:600;color:#4a5570}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.small{font-size:.82rem;color:#667085}
code{font-size:.85em;background:#f0f2f7;padding:.05rem .3rem;border-radius:4px}
.status{display:inline-block;border-radius:999px;padding:.1rem .6rem;font-size:.85rem;background:#eef1f7}
.status.paid{background:#e3f8ec;color:#146c43}.status.pending{background:#fff6dd;color:#8a5a00}
.status.failed,.status.canceled{background:#fdecec;color:#9b1c1c}
.inline{display:inline-flex;gap:.3rem;align-items:center;margin:0}
.order-row td:first-child{white-space:nowrap}
input[type=text]{font:inherit;padding:.35rem .5rem;border:1px solid #cfd5e2;border-radius:6px}
`;

/** The page around every view: the shop's header, the wallet link, a notice. */
export function layout(title: string, ctx: LayoutContext, body: string, script = ""): string {
  const notice = ctx.message ? `<p class="notice${ctx.message.kind === "error" ? " error" : ""}" id="notice">${esc(ctx.message.text)}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Harbour Snacks</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><div class="bar">
<a class="brand" href="/">Harbour Snacks <span>· Alipay HK demo</span></a>
<nav><a href="/">Shop</a><a href="/cart" id="cart-link">Cart (${ctx.cartCount})</a><a href="/admin">Admin</a><a href="/admin/reconciliation">Reconciliation</a></nav>
<a class="wallet" href="${esc(ctx.walletUrl)}" target="_blank" rel="noopener">Sandbox wallet ↗</a>
</div></header>
<main>${notice}${body}</main>${script ? `<script>${script}</script>` : ""}</body></html>`;
}
