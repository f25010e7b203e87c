import { encodeForm } from "@alipayhk/core";
import { startSandbox } from "@alipayhk/sandbox";
import { PaymentActions, PaymentSessionStatus } from "@medusajs/framework/utils";
import { AlipayHkQrService } from "../src/providers/alipayhk/services/alipayhk-qr";

// The providers with RSA2 keys, as most merchants are set up, against the sandbox over HTTP: the
// requests are signed with the merchant key and every reply and notification verified with
// Alipay's public key, given as the portal shows it (bare base64).
const sandbox = await startSandbox({ signType: "RSA2", notifyTimeScale: 0.001 });
afterAll(() => sandbox.close());

const received: string[] = [];
const { createServer } = await import("node:http");
const notifyServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push(Buffer.concat(chunks).toString("utf8"));
    res.end("success");
  });
});
await new Promise<void>((resolve) => notifyServer.listen(0, "127.0.0.1", resolve));
afterAll(() => new Promise<void>((resolve) => notifyServer.close(() => resolve())));
const notifyUrl = `http://127.0.0.1:${(notifyServer.address() as { port: number }).port}/hooks/alipayhk/alipayhk-qr_alipayhk`;

// The payment module's session service, as the provider finds it in the module's container: the
// notification is checked against the session this store created (its trade id and amount).
const sessions = new Map<string, Record<string, unknown>>();
const paymentSessionService = {
  retrieve: async (id: string) => {
    const data = sessions.get(id);
    if (!data) throw Object.assign(new Error(`PaymentSession ${id} not found`), { type: "not_found" });
    return { id, provider_id: "pp_alipayhk-qr_alipayhk", data };
  },
};
const provider = new AlipayHkQrService(
  { logger: { warn: () => undefined, error: () => undefined }, paymentSessionService },
  {
    partner: sandbox.partner,
    signType: "RSA2",
    privateKey: sandbox.merchantPrivateKeyPem!,
    alipayPublicKey: sandbox.alipayPublicKey,
    gateway: sandbox.gatewayUrl,
    notifyUrl,
  },
);

it("RSA2: QR created, paid, authorized as captured; the signed notification verifies and maps to its session", async () => {
  const session = await provider.initiatePayment({ amount: 45.6, currency_code: "hkd", data: { session_id: "payses_RSA2A" } });
  expect(session.status).toBe(PaymentSessionStatus.PENDING);
  sessions.set("payses_RSA2A", session.data!);
  expect(sandbox.trades()[0]).toMatchObject({ out_trade_no: "payses_RSA2A", total_fee: "45.60", notify_url: notifyUrl });

  sandbox.payTrade("payses_RSA2A");
  const authorized = await provider.authorizePayment({ data: session.data });
  expect(authorized.status).toBe(PaymentSessionStatus.CAPTURED);

  const delivered = await vi.waitFor(
    () => {
      expect(received.length).toBeGreaterThan(0);
      return received[0]!;
    },
    { timeout: 10_000 },
  );
  const action = await provider.getWebhookActionAndData({ data: {}, rawData: Buffer.from(delivered), headers: {} });
  expect(action).toEqual({ action: PaymentActions.SUCCESSFUL, data: { session_id: "payses_RSA2A", amount: 45.6 } });

  // The same fields re-signed by someone without Alipay's key do not pass.
  const fields = Object.fromEntries(new URLSearchParams(delivered));
  const tampered = encodeForm({ ...fields, total_fee: "0.01" });
  await expect(provider.getWebhookActionAndData({ data: {}, rawData: tampered, headers: {} })).rejects.toThrow(/signature check failed.*\[bad_signature\]/);
});
