import {
  AlipayError,
  AmountError,
  cancelOrder,
  createQrPayment,
  formatAmount,
  getPaymentStatus,
  parseHkdAmount,
  payByBarcode,
  refundReturn,
  type AlipayHkClient,
} from "@alipayhk/core";
import { parseFlags } from "../args";
import { clientFromFlags, GATEWAY_FLAGS, GATEWAY_FLAGS_HELP } from "../config";
import { UsageError, writeJson, type CommandIo } from "../io";

interface GatewayCommand {
  summary: string;
  usage: string;
  flags: Record<string, { type: "string" | "boolean"; description: string; required?: boolean }>;
  run(client: AlipayHkClient, values: Record<string, string | undefined>, io: CommandIo): Promise<number>;
}

function amountFlag(value: string | undefined, flag = "--amount"): number {
  try {
    return parseHkdAmount(value ?? "", flag);
  } catch (error) {
    if (error instanceof AmountError) throw new UsageError(error.message);
    throw error;
  }
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

function money(cents: number | undefined): string | undefined {
  return cents === undefined ? undefined : formatAmount(cents);
}

export const GATEWAY_COMMANDS: Record<string, GatewayCommand> = {
  precreate: {
    summary: "create a Transaction QR Code trade (alipay.acquire.precreate)",
    usage: "alipayhk precreate --out-trade-no ID --amount 12.30 --subject TEXT [--notify-url URL] [--expires-in MINUTES]",
    flags: {
      "out-trade-no": { type: "string", description: "the merchant's order id (idempotency key)", required: true },
      amount: { type: "string", description: "HKD with two decimals, e.g. 12.30", required: true },
      subject: { type: "string", description: "order title shown to the buyer", required: true },
      "notify-url": { type: "string", description: "where Alipay posts the payment notification" },
      "expires-in": { type: "string", description: "minutes until the QR closes unpaid (default 15)" },
    },
    async run(client, v, io) {
      const amount = amountFlag(v.amount);
      const qr = await createQrPayment(client, {
        partnerTransId: v["out-trade-no"]!,
        amount,
        subject: v.subject!,
        notifyUrl: v["notify-url"],
        expiresInMinutes: positiveInt(v["expires-in"], "--expires-in", 15),
      });
      writeJson(io, { out_trade_no: qr.partnerTransId, qr_code: qr.qrCode, pic_url: qr.picUrl, expires_at: qr.expiresAt.toISOString() });
      return 0;
    },
  },
  pay: {
    summary: "charge a buyer's wallet code (spot.pay with query/cancel recovery)",
    usage: "alipayhk pay --partner-trans-id ID --amount 12.30 --buyer-code CODE [--trans-name TEXT]",
    flags: {
      "partner-trans-id": { type: "string", description: "a fresh id for this charge", required: true },
      amount: { type: "string", description: "HKD with two decimals", required: true },
      "buyer-code": { type: "string", description: "the code scanned from the buyer's wallet", required: true },
      "trans-name": { type: "string", description: "shown in the buyer's wallet (default: Payment)" },
      "poll-interval-ms": { type: "string", description: "query interval while the outcome is open (default 5000)" },
      "max-poll-ms": { type: "string", description: "how long to query before cancelling (default 30000)" },
    },
    async run(client, v, io) {
      const amount = amountFlag(v.amount);
      const result = await payByBarcode(
        client,
        { partnerTransId: v["partner-trans-id"]!, amount, buyerCode: v["buyer-code"]!, transName: v["trans-name"] ?? "Payment" },
        { pollIntervalMs: positiveInt(v["poll-interval-ms"], "--poll-interval-ms", 5000), maxPollMs: positiveInt(v["max-poll-ms"], "--max-poll-ms", 30000) },
      );
      writeJson(io, { ...result, amount: "amount" in result ? money(result.amount) : undefined });
      return result.status === "paid" ? 0 : 1;
    },
  },
  query: {
    summary: "query a trade (alipay.acquire.overseas.query)",
    usage: "alipayhk query --partner-trans-id ID",
    flags: { "partner-trans-id": { type: "string", description: "spot.pay partner_trans_id or precreate out_trade_no", required: true } },
    async run(client, v, io) {
      const { status, query, error } = await getPaymentStatus(client, v["partner-trans-id"]!);
      if (error) throw error;
      writeJson(io, {
        status,
        alipay_trans_status: query?.status,
        alipay_trans_id: query?.alipayTransId,
        amount: money(query?.amount),
        currency: query?.currency,
        payment_inst: query?.paymentInst,
        paid_at: query?.paidAt?.toISOString(),
      });
      return 0;
    },
  },
  refund: {
    summary: "refund (part of) a paid trade (spot.refund, idempotent on --refund-id)",
    usage: "alipayhk refund --partner-trans-id ID --amount 5.00 --refund-id YOUR_REFUND_ID [--reason TEXT]",
    flags: {
      "partner-trans-id": { type: "string", description: "the paid trade", required: true },
      amount: { type: "string", description: "HKD with two decimals", required: true },
      "refund-id": { type: "string", description: "your id for this refund; the same id never refunds twice", required: true },
      reason: { type: "string", description: "refund reason" },
    },
    async run(client, v, io) {
      const amount = amountFlag(v.amount);
      const result = await refundReturn(client, { partnerTransId: v["partner-trans-id"]!, platformRefundId: v["refund-id"]!, amount, reason: v.reason });
      writeJson(io, { ...result, amount: money(result.amount) });
      return result.status === "succeeded" ? 0 : 1;
    },
  },
  cancel: {
    summary: "cancel a trade: close it unpaid, or reverse it on its GMT+8 day (alipay.acquire.cancel)",
    usage: "alipayhk cancel --out-trade-no ID [--refund-after-day AMOUNT --refund-id ID]",
    flags: {
      "out-trade-no": { type: "string", description: "the trade's merchant id", required: true },
      "refund-after-day": { type: "string", description: "past the trade's day, refund this amount instead" },
      "refund-id": { type: "string", description: "your id for that fallback refund" },
    },
    async run(client, v, io) {
      let refundFallback;
      if (v["refund-after-day"] !== undefined) {
        if (!v["refund-id"]) throw new UsageError("--refund-id: required with --refund-after-day");
        refundFallback = { amount: amountFlag(v["refund-after-day"], "--refund-after-day"), platformRefundId: v["refund-id"] };
      }
      const result = await cancelOrder(client, { partnerTransId: v["out-trade-no"]!, refundFallback });
      writeJson(io, result);
      return result.status === "failed" || result.status === "unresolved" ? 1 : 0;
    },
  },
};

export function gatewayHelp(name: string): string {
  const cmd = GATEWAY_COMMANDS[name]!;
  const width = Math.max(...Object.keys(cmd.flags).map((f) => f.length)) + 4;
  const lines = Object.entries(cmd.flags).map(([flag, spec]) => `  --${flag.padEnd(width)}${spec.description}${spec.required ? " (required)" : ""}`);
  return `Usage: ${cmd.usage}\n\n${cmd.summary[0]!.toUpperCase()}${cmd.summary.slice(1)}. Prints JSON.\n\nOptions:\n${lines.join("\n")}\n  -h, --help\n\n${GATEWAY_FLAGS_HELP}`;
}

export async function gatewayCommand(name: string, args: string[], io: CommandIo): Promise<number> {
  const cmd = GATEWAY_COMMANDS[name]!;
  const own = Object.fromEntries(Object.entries(cmd.flags).map(([flag, spec]) => [flag, { type: spec.type }]));
  const { values } = parseFlags(args, { ...GATEWAY_FLAGS, ...own });
  const v = values as Record<string, string | undefined>;
  if (values.help) {
    io.stdout.write(`${gatewayHelp(name)}\n`);
    return 0;
  }
  for (const [flag, spec] of Object.entries(cmd.flags)) {
    if (spec.required && (v[flag] === undefined || v[flag] === "")) throw new UsageError(`--${flag}: required (${spec.description})`);
  }
  const client = clientFromFlags(v, io.env ?? process.env);
  try {
    return await cmd.run(client, v, io);
  } catch (error) {
    if (error instanceof AlipayError && error.type === "config") throw new UsageError(error.message);
    throw error;
  }
}
