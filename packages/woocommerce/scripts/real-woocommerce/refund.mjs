// Part 3: refunds from WooCommerce through the plugin (HMAC), the bridge's read-back checks, webhooks.
import { execFileSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
const W = process.env.WORK_DIR ?? "/tmp/woo-real-woo";
const envOf = (f) =>
  Object.fromEntries(
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
const secret = envOf(`${W}/plugin-secret.env`).WOO_PLUGIN_SECRET;
const posToken = envOf(`${W}/bridge.env`).BRIDGE_API_TOKEN;
const BRIDGE = "http://127.0.0.1:80",
  SANDBOX = "http://127.0.0.1:4010";
const OUT = process.env.OUT ?? "/tmp/woo-e2e/out/fixtures";
mkdirSync(OUT, { recursive: true });
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const [paidA, paidB] = process.argv.slice(2).map(Number);
function rest(method, path, body) {
  let out;
  try {
    out = execFileSync("python3", ["/work/shared/woo-real/woo_req.py", method, path, ...(body ? [JSON.stringify(body)] : [])], {
      env: { ...process.env, WOO_ENV_FILE: `${W}/woo.env` },
      encoding: "utf8",
    });
  } catch (e) {
    out = e.stdout;
  }
  const lines = out.trim().split("\n");
  return { status: Number(lines[0].split(" ")[1]), headers: lines.slice(1, -1), body: JSON.parse(lines[lines.length - 1]) };
}
const save = (name, request, r) =>
  writeFileSync(`${OUT}/${name}.json`, `${JSON.stringify({ request, status: r.status, headers: r.headers, body: r.body }, null, 2)}\n`);
const results = [];
const check = (name, ok, detail = "") => {
  results.push(ok);
  log(ok ? "PASS" : "FAIL", name, detail);
};
const sandboxRefunds = async (trade) => (await (await fetch(`${SANDBOX}/sandbox/trades/${trade}`)).json()).refunds ?? [];
function signedInit(bodyObj, key = secret, extra = {}) {
  const body = JSON.stringify(bodyObj);
  const ts = Math.floor(Date.now() / 1000);
  const text = ["v1", String(ts), "POST", "/woocommerce/refund", createHash("sha256").update(body).digest("hex")].join("\n");
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-alipayhk-timestamp": String(ts),
      "x-alipayhk-signature": createHmac("sha256", key).update(text).digest("hex"),
      ...extra,
    },
    body,
  };
}
const post = async (init) => {
  const r = await fetch(`${BRIDGE}/woocommerce/refund`, init);
  return { status: r.status, body: await r.json() };
};

const orderA = rest("GET", `/wp-json/wc/v3/orders/${paidA}`).body;
const tradeA = orderA.meta_data.find((m) => m.key === "alipayhk_out_trade_no")?.value ?? process.env.TRADE_A;
log("order", paidA, "trade", tradeA, "total", orderA.total);

// The secret is not in the gateway's REST settings.
const gw = rest("GET", "/wp-json/wc/v3/payment_gateways/alipayhk");
check(
  "REST payment_gateways/alipayhk holds no bridge secret or token",
  !JSON.stringify(gw.body).includes(secret) && !("api_token" in gw.body.settings),
  Object.keys(gw.body.settings).join(","),
);
save("payment-gateway.alipayhk.no-secret", "GET /wp-json/wc/v3/payment_gateways/alipayhk", gw);

// 1. A refund from WooCommerce (REST, api_refund true = wp-admin's "Refund via Alipay HK").
const before = (await sandboxRefunds(tradeA)).length;
const r1 = rest("POST", `/wp-json/wc/v3/orders/${paidA}/refunds`, { amount: "2.30", reason: "real check partial", api_refund: true });
check(
  "WooCommerce refund 2.30 via the gateway: 201, refunded_payment true",
  r1.status === 201 && r1.body.refunded_payment === true,
  `HTTP ${r1.status} ${JSON.stringify(r1.body).slice(0, 200)}`,
);
save("refund.create.via-gateway.201", `POST /wp-json/wc/v3/orders/${paidA}/refunds {"amount":"2.30","api_refund":true}`, r1);
const after = await sandboxRefunds(tradeA);
check(
  "the sandbox executed exactly one refund of 2.30",
  after.length === before + 1 && after[after.length - 1].refund_amount === "2.30",
  JSON.stringify(after.map((r) => r.refund_amount)),
);
const refundId = r1.body.id;

// 2. Attacks: refused, nothing at the sandbox.
const otherOrder = paidB;
const n0 = (await sandboxRefunds(tradeA)).length;
const unknown = await post(signedInit({ order_id: paidA, refund_id: 999999, amount: "1.00" }));
check("unknown refund id -> 404 JSON", unknown.status === 404 && unknown.body.error === "unknown_refund", JSON.stringify(unknown.body));
const wrongAmount = await post(signedInit({ order_id: paidA, refund_id: refundId, amount: "5.00" }));
check(
  "existing refund, other amount -> 409 JSON",
  wrongAmount.status === 409 && wrongAmount.body.error === "amount_mismatch",
  JSON.stringify(wrongAmount.body),
);
const wrongOrder = await post(signedInit({ order_id: otherOrder, refund_id: refundId, amount: "2.30" }));
check(
  "refund id of another order -> 404 JSON (real WooCommerce: Invalid order refund ID)",
  wrongOrder.status === 404 && wrongOrder.body.error === "unknown_refund",
  JSON.stringify(wrongOrder.body),
);
const cross = rest("GET", `/wp-json/wc/v3/orders/${otherOrder}/refunds/${refundId}`);
save("error.refund-of-another-order.404", `GET /wp-json/wc/v3/orders/${otherOrder}/refunds/${refundId}`, cross);
const unknownRefund = rest("GET", `/wp-json/wc/v3/orders/${paidA}/refunds/999999`);
save("error.refund-unknown-id.404", `GET /wp-json/wc/v3/orders/${paidA}/refunds/999999`, unknownRefund);
const refundGet = rest("GET", `/wp-json/wc/v3/orders/${paidA}/refunds/${refundId}`);
save("refund.retrieve", `GET /wp-json/wc/v3/orders/${paidA}/refunds/${refundId}`, refundGet);
const bearerOnRefund = await post({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${posToken}` },
  body: JSON.stringify({ order_id: paidA, refund_id: refundId, amount: "2.30" }),
});
check("POS bearer token on the refund route -> 401", bearerOnRefund.status === 401, JSON.stringify(bearerOnRefund.body));
const posWithSecret = await fetch(`${BRIDGE}/orders/${otherOrder}/barcode`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
  body: JSON.stringify({ buyer_code: "280000000000000001" }),
});
check("plugin secret as bearer on the POS route -> 401", posWithSecret.status === 401, String(posWithSecret.status));
const wrongKey = await post(signedInit({ order_id: paidA, refund_id: refundId, amount: "2.30" }, "not-the-secret-0123456789abcdef0123"));
check("refund signed with another key -> 401", wrongKey.status === 401, JSON.stringify(wrongKey.body));
check("nothing executed at the sandbox by the refused requests", (await sandboxRefunds(tradeA)).length === n0);
const replay = await post(signedInit({ order_id: paidA, refund_id: refundId, amount: "2.30" }));
check(
  "the genuine refund replayed -> same outcome, not executed twice",
  replay.status === 200 && (await sandboxRefunds(tradeA)).length === n0,
  JSON.stringify(replay.body),
);

// 3. Over-refund through WooCommerce is refused by WooCommerce itself.
const over = rest("POST", `/wp-json/wc/v3/orders/${paidA}/refunds`, { amount: "999.00", api_refund: true });
check("over-refund refused by WooCommerce (500 Invalid refund amount)", over.status === 500, JSON.stringify(over.body).slice(0, 160));

const health = await (await fetch(`${BRIDGE}/healthz`)).json();
log("healthz", JSON.stringify(health));
writeFileSync(`${OUT}/../healthz.json`, JSON.stringify(health, null, 2));
const failed = results.filter((x) => !x).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
