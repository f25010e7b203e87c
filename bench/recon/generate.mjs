// Writes an N-row Alipay HK transaction file (spec §5.2 + payment_inst): header line, column-name
// line, records. Deterministic (seeded), streamed to disk with backpressure.
//
//   node recon/generate.mjs ROWS OUT_FILE
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { pathToFileURL } from "node:url";

const COLUMNS =
  "Partner_transaction_id|Transaction_id|Transaction_amount|Charge_amount|Currency|Payment_time|Transaction_type|Remark|Secondary_merchant_industry|Secondary_merchant_name|Operator_name|Order_scene|Trans_currency|Trans_amount|Trans_forex_rate|payment_inst";
const TYPES = ["PAYMENT", "PAYMENT", "PAYMENT", "PAYMENT", "PAYMENT", "PAYMENT", "PAYMENT", "REFUND", "CANCEL", "REVERSAL"];
const STORES = ["Central", "Mong Kok", "Tsim Sha Tsui", "旺角店", "銅鑼灣店"];
const NAMES = ["Tea House", "Noodle Bar", "九龍茶餐廳", "Bakery & Café"];

function cents(value) {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}

/** Writes `rows` records to `path`; resolves with the number of bytes written. */
export async function generateTransactionFile(rows, path, partner = "2088101122334455", day = "2024-01-02") {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let bytes = 0;
  const write = async (text) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  await write(`Partner:${partner}|Payment_time:${day}|Total_count:${rows}\n${COLUMNS}\n`);
  let batch = "";
  for (let i = 0; i < rows; i++) {
    const amount = 100 + Math.floor(random() * 500_000);
    const fee = Math.round(amount * 0.012);
    const second = Math.floor((i / rows) * 86_400);
    const time = `${day} ${String(Math.floor(second / 3600)).padStart(2, "0")}:${String(Math.floor(second / 60) % 60).padStart(2, "0")}:${String(second % 60).padStart(2, "0")}`;
    const type = TYPES[i % TYPES.length];
    const id = type === "REFUND" ? `refund-${i}-1` : `order-${i}`;
    const wallet = random() < 0.6 ? "ALIPAYHK" : "ALIPAYCN";
    // Whole amounts sometimes written without decimals, as in Alipay's own sample.
    const amountText = amount % 100 === 0 ? String(amount / 100) : cents(amount);
    batch += `${id}|2024010222${String(1_000_000_000 + i)}|${amountText}|${cents(fee)}|HKD|${time}|${type}|${type === "REFUND" ? "refund" : ""}|5812|${NAMES[i % NAMES.length]}|${STORES[i % STORES.length]}|${i % 3 === 0 ? "" : "shopQrCode"}|HKD|${amountText}|1|${wallet}\n`;
    if (batch.length > 1 << 16) {
      await write(batch);
      batch = "";
    }
  }
  await write(batch);
  out.end();
  await once(out, "finish");
  return bytes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rowsText, path] = process.argv.slice(2);
  const rows = Number(rowsText);
  if (!Number.isSafeInteger(rows) || rows < 0 || !path) {
    console.error("usage: node recon/generate.mjs ROWS OUT_FILE");
    process.exit(2);
  }
  const bytes = await generateTransactionFile(rows, path);
  console.log(`${path}: ${rows} rows, ${(bytes / 1_048_576).toFixed(1)} MB`);
}

/**
 * The store's side of the file `generateTransactionFile(rows, …)` writes, one entry at a time (as an
 * adapter's database cursor would give it): an order per PAYMENT, CANCEL or REVERSAL row (paid, or
 * canceled), a pending order and a succeeded refund per REFUND row, so `rows` orders in all. Every
 * 1,000th paid order disagrees on the amount by a cent. Same seed as the file, so amounts agree.
 */
export function* generateLedgerEntries(rows, day = "2024-01-02") {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < rows; i++) {
    const amount = 100 + Math.floor(random() * 500_000);
    random(); // the wallet
    const type = TYPES[i % TYPES.length];
    if (type === "REFUND") {
      yield { kind: "order", value: { id: `order-${i}`, amount, currency: "HKD", status: "pending", date: day } };
      yield { kind: "refund", value: { id: `refund-${i}-1`, orderId: null, amount, currency: "HKD", status: "succeeded", date: day } };
    } else if (type === "PAYMENT") {
      yield { kind: "order", value: { id: `order-${i}`, amount: i % 1000 === 0 ? amount + 1 : amount, currency: "HKD", status: "paid", date: day } };
    } else {
      yield { kind: "order", value: { id: `order-${i}`, amount, currency: "HKD", status: "canceled", date: day } };
    }
  }
}
