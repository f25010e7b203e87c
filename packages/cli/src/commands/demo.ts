import { AlipayHkClient, createQrPayment, formatAmount, getPaymentStatus, refundReturn } from "@alipayhk/core";
import { parseFlags } from "../args";
import type { CommandIo } from "../io";

export const DEMO_HELP = `Usage: alipayhk demo [--keep-running] [--port N]

Starts the local sandbox gateway and runs one real round trip against it over HTTP, printing each
step: a QR payment (precreate), the buyer paying in the sandbox wallet, a query, a partial refund,
a second query and the day's reconciliation files.

Options:
  --keep-running   leave the sandbox up afterwards (open the wallet page), until Ctrl-C
  --port N         sandbox port (default: a free port)
  -h, --help       show this help`;

/** The CLI's main-job demo: a real QR payment, query and refund through the sandbox. */
export async function demoCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { "keep-running": { type: "boolean" }, port: { type: "string" } });
  if (values.help) {
    io.stdout.write(`${DEMO_HELP}\n`);
    return 0;
  }
  const { startSandbox } = await import("@alipayhk/sandbox");
  const port = values.port === undefined ? 0 : Number(values.port as string);
  const sandbox = await startSandbox({ port });
  const say = (step: string, detail: unknown = "") =>
    io.stdout.write(`${step}${detail === "" ? "" : ` ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}\n`);
  try {
    say("sandbox gateway:", sandbox.gatewayUrl);
    say("sandbox wallet: ", `${sandbox.url}/sandbox/wallet`);
    const client = new AlipayHkClient({ partner: sandbox.partner, signType: "MD5", md5Key: sandbox.md5Key, gateway: sandbox.gatewayUrl });
    const orderId = `demo-${Date.now()}`;

    say("1. precreate   ", `out_trade_no=${orderId} total_fee=25.00 HKD`);
    const qr = await createQrPayment(client, { partnerTransId: orderId, amount: 2500, subject: "alipayhk demo order", expiresInMinutes: 15 });
    say("   qr_code     ", qr.qrCode);

    say("2. buyer pays  ", "in the sandbox wallet (ALIPAYHK)");
    const paid = await fetch(`${sandbox.url}/sandbox/trades/${encodeURIComponent(orderId)}/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wallet: "ALIPAYHK" }),
    });
    if (!paid.ok) throw new Error(`sandbox pay answered HTTP ${paid.status}`);

    const first = await getPaymentStatus(client, orderId);
    say("3. query       ", {
      status: first.status,
      alipay_trans_status: first.query?.status,
      amount: first.query?.amount === undefined ? undefined : formatAmount(first.query.amount),
      payment_inst: first.query?.paymentInst,
    });

    const refund = await refundReturn(client, { partnerTransId: orderId, platformRefundId: "demo-return-1", amount: 1000, reason: "demo partial return" });
    say("4. refund      ", { status: refund.status, amount: formatAmount(refund.amount), partner_refund_id: refund.partnerRefundId });

    const second = await getPaymentStatus(client, orderId);
    say("5. query       ", { status: second.status, alipay_trans_status: second.query?.status });

    const files = (await (await fetch(`${sandbox.url}/sandbox/files`)).json()) as unknown;
    say("6. recon files ", files);
    const ok = first.status === "paid" && refund.status === "succeeded";
    say(ok ? "demo: OK" : "demo: FAILED");
    if (values["keep-running"]) {
      say("sandbox keeps running; press Ctrl-C to stop");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
    return ok ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}
