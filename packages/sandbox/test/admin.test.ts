/** Admin routes and the wallet page: trades JSON, the buyer paying by id or QR value, clock, info, reset, options. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxRefusalError, startSandbox, type RunningSandbox, type SandboxTrade } from "../src/index";
import { admin, callGateway, startReceiver, uid, waitFor, type AdminErrorBody } from "./helpers";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ partners: [{ partner: "2088000000000022" }], notifyTimeScale: 0.001 });
});
afterAll(() => sandbox.close());

const precreate = (id: string, extra: Record<string, string> = {}) =>
  callGateway(sandbox, {
    service: "alipay.acquire.precreate",
    out_trade_no: id,
    subject: "Tea <&>",
    product_code: "OVERSEAS_MBARCODE_PAY",
    total_fee: "12.30",
    currency: "HKD",
    ...extra,
  });

describe("trades", () => {
  it("GET /sandbox/trades lists trades with out_trade_no, qr_code, total_fee, currency, status and refunds", async () => {
    const id = uid("A");
    const pre = await precreate(id);
    const list = await admin<SandboxTrade[]>(sandbox, "GET", "/sandbox/trades");
    const trade = list.json.find((t) => t.out_trade_no === id)!;
    expect(trade).toMatchObject({
      out_trade_no: id,
      qr_code: pre.reply.response.qr_code,
      total_fee: "12.30",
      currency: "HKD",
      status: "WAIT_BUYER_PAY",
      refunds: [],
      product: "qr",
    });
    expect((await admin<SandboxTrade[]>(sandbox, "GET", "/sandbox/trades?status=TRADE_CLOSED")).json.some((t) => t.out_trade_no === id)).toBe(false);
    expect((await admin<SandboxTrade>(sandbox, "GET", `/sandbox/trades/${id}`)).json.out_trade_no).toBe(id);
    expect((await admin(sandbox, "GET", "/sandbox/trades/nope")).status).toBe(404);
  });

  it("POST /sandbox/trades/{id}/pay pays once (default ALIPAYHK); paying again is a 409; bad wallet a 400", async () => {
    const id = uid("B");
    await precreate(id);
    expect((await admin(sandbox, "POST", `/sandbox/trades/${id}/pay`, { wallet: "VISA" })).status).toBe(400);
    const paid = await admin<SandboxTrade>(sandbox, "POST", `/sandbox/trades/${id}/pay`);
    expect(paid.json).toMatchObject({ status: "TRADE_SUCCESS", payment_inst: "ALIPAYHK" });
    expect((await admin<AdminErrorBody>(sandbox, "POST", `/sandbox/trades/${id}/pay`)).json.error.code).toBe("TRADE_NOT_PAYABLE");
  });

  it("resolves qr_code values (https://qr.alipay.com/<code>) in the API", async () => {
    const id = uid("C");
    const qr = (await precreate(id)).reply.response.qr_code!;
    const code = qr.split("/").pop()!;
    expect((await admin<SandboxTrade>(sandbox, "GET", `/sandbox/qr/${code}`)).json.out_trade_no).toBe(id);
    expect((await admin<SandboxTrade[]>(sandbox, "GET", `/sandbox/trades?qr_code=${encodeURIComponent(qr)}`)).json.map((t) => t.out_trade_no)).toEqual([id]);
    const svg = await fetch(`${sandbox.url}/sandbox/qr/${code}.svg`);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(await svg.text()).toMatch(/^<svg/);
    expect((await admin<SandboxTrade>(sandbox, "POST", `/sandbox/qr/${code}/pay`, { wallet: "ALIPAYCN" })).json.payment_inst).toBe("ALIPAYCN");
  });

  it("asks for ?partner= when two partners use the same out_trade_no", async () => {
    const id = uid("D");
    await precreate(id);
    await callGateway(sandbox, {
      service: "alipay.acquire.precreate",
      partner: "2088000000000022",
      out_trade_no: id,
      subject: "x",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "1.00",
      currency: "HKD",
    });
    expect((await admin<AdminErrorBody>(sandbox, "POST", `/sandbox/trades/${id}/pay`)).json.error.code).toBe("AMBIGUOUS");
    expect((await admin<SandboxTrade>(sandbox, "POST", `/sandbox/trades/${id}/pay?partner=2088000000000022`)).json.partner).toBe("2088000000000022");
  });
});

describe("admin errors", () => {
  it("answer in the service kit's shape: 405 with Allow, 413 for a huge body, 400 naming the body", async () => {
    const wrong = await fetch(`${sandbox.url}/sandbox/reset`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(((await wrong.json()) as AdminErrorBody).error.code).toBe("method_not_allowed");
    const huge = await fetch(`${sandbox.url}/sandbox/faults`, { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as AdminErrorBody).error.code).toBe("body_too_large");
    const notJson = await admin<AdminErrorBody>(sandbox, "POST", "/sandbox/clock", "{");
    expect(notJson.status).toBe(400);
    expect(notJson.json.message).toMatch(/^body: expected a JSON object/);
  });

  it("the in-process API throws the same refusal with its code", async () => {
    const id = uid("E");
    await precreate(id);
    sandbox.payTrade(id);
    expect(() => sandbox.payTrade(id)).toThrow(expect.objectContaining({ name: "SandboxRefusalError", code: "TRADE_NOT_PAYABLE" }));
    expect(() => sandbox.payTrade("no-such-trade")).toThrow(SandboxRefusalError);
  });
});

describe("wallet page", () => {
  it("lists open QR trades with their QR rendered, escaped, with Pay and Decline", async () => {
    const id = uid("W");
    const qr = (await precreate(id)).reply.response.qr_code!;
    const response = await fetch(sandbox.walletUrl);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain(id);
    expect(html).toContain(qr);
    expect(html).toContain("Tea &lt;&amp;&gt;");
    expect(html).not.toContain("Tea <&>");
    expect(html).toMatch(/<svg[^>]*>/);
    expect(html).toContain('action="/sandbox/wallet/pay"');
    expect(html).toContain('action="/sandbox/wallet/decline"');
    const found = await (await fetch(`${sandbox.walletUrl}?qr=${encodeURIComponent(qr)}`)).text();
    expect(found).toContain(`#${id}`);
  });

  it("the Pay button (a form post) pays the trade and notifies the merchant", async () => {
    const merchant = await startReceiver();
    try {
      const id = uid("X");
      await precreate(id, { notify_url: merchant.url });
      const response = await fetch(`${sandbox.url}/sandbox/wallet/pay`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ partner: sandbox.partner, out_trade_no: id, wallet: "ALIPAYCN" }),
        redirect: "manual",
      });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toMatch(/^\/sandbox\/wallet\?message=Paid/);
      expect(sandbox.trades().find((t) => t.out_trade_no === id)?.payment_inst).toBe("ALIPAYCN");
      await waitFor(() => merchant.received[0], "the notification");
    } finally {
      await merchant.close();
    }
  });

  it("the Decline button closes the trade", async () => {
    const id = uid("Y");
    await precreate(id);
    await fetch(`${sandbox.url}/sandbox/wallet/decline`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ partner: sandbox.partner, out_trade_no: id }),
      redirect: "manual",
    });
    expect(sandbox.trades().find((t) => t.out_trade_no === id)?.status).toBe("TRADE_CLOSED");
  });

  it("a QR past qr_code_it_b_pay cannot be paid, although the trade is still open", async () => {
    const id = uid("Z");
    await precreate(id, { it_b_pay: "30m", qr_code_it_b_pay: "5m" });
    sandbox.advanceClock("6m");
    const r = await admin<AdminErrorBody>(sandbox, "POST", `/sandbox/trades/${id}/pay`);
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe("QR_CODE_EXPIRED");
    expect(sandbox.trades().find((t) => t.out_trade_no === id)?.status).toBe("WAIT_BUYER_PAY");
  });
});

describe("clock, info, reset", () => {
  it("GET/POST /sandbox/clock reads, advances and sets the sandbox time", async () => {
    const local = await startSandbox({ startTime: "2024-01-01T12:00:00+08:00" });
    try {
      const read = await admin<{ now: string; gmt8: string; day: string }>(local, "GET", "/sandbox/clock");
      expect(read.json.day).toBe("2024-01-01");
      const advanced = await admin<{ day: string; gmt8: string }>(local, "POST", "/sandbox/clock", { advance: "25h" });
      expect(advanced.json.day).toBe("2024-01-02");
      expect(advanced.json.gmt8).toMatch(/^2024-01-02 13:00:0/);
      const set = await admin<{ now: string }>(local, "POST", "/sandbox/clock", { set: "2024-06-30T23:59:00+08:00" });
      expect(set.json.now).toMatch(/^2024-06-30T15:59:0/);
      const bad = await admin<{ message: string }>(local, "POST", "/sandbox/clock", { advance: "soon" });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/^advance: expected a duration/);
    } finally {
      await local.close();
    }
  });

  it("serves its info and the Alipay public key", async () => {
    const info = await admin<{ gatewayUrl: string; partners: Array<{ partner: string }> }>(sandbox, "GET", "/sandbox/info");
    expect(info.json.gatewayUrl).toBe(sandbox.gatewayUrl);
    expect(info.json.partners.map((p) => p.partner)).toEqual([sandbox.partner, "2088000000000022"]);
    expect(await (await fetch(`${sandbox.url}/sandbox/alipay-public-key`)).text()).toBe(sandbox.alipayPublicKeyPem);
    expect((await (await fetch(`${sandbox.url}/sandbox/alipay-public-key?format=base64`)).text()).trim()).toBe(sandbox.alipayPublicKey);
  });

  it("POST /sandbox/reset forgets everything", async () => {
    const local = await startSandbox();
    try {
      await callGateway(local, {
        service: "alipay.acquire.precreate",
        out_trade_no: "R1",
        subject: "x",
        product_code: "OVERSEAS_MBARCODE_PAY",
        total_fee: "1.00",
        currency: "HKD",
      });
      expect(local.trades()).toHaveLength(1);
      expect((await admin(local, "POST", "/sandbox/reset")).status).toBe(200);
      expect(local.trades()).toHaveLength(0);
    } finally {
      await local.close();
    }
  });
});

describe("options", () => {
  it("names the bad option", async () => {
    await expect(startSandbox({ partner: "12345" })).rejects.toThrow(/^partner: expected 16 digits starting with 2088/);
    await expect(startSandbox({ signType: "SHA" as never })).rejects.toThrow(/^signType: expected MD5, RSA or RSA2/);
    await expect(startSandbox({ md5Key: "short" })).rejects.toThrow(/^md5Key:/);
    await expect(startSandbox({ feeRate: 2 })).rejects.toThrow(/^feeRate: expected a number from 0 to 0.5/);
    await expect(startSandbox({ notifySchedule: ["soon"] })).rejects.toThrow(/^notifySchedule\[0\]:/);
    await expect(startSandbox({ merchantPublicKey: "not a key" })).rejects.toThrow(/^merchantPublicKey:/);
    await expect(startSandbox({ partners: [{ partner: "2088101122136241" }] })).rejects.toThrow(/^partners\[0\].partner: .* given twice/);
  });

  it("uses a given merchant key pair and Alipay key", async () => {
    const { generateRsaKeyPair } = await import("@alipayhk/core");
    const merchant = generateRsaKeyPair();
    const alipay = generateRsaKeyPair();
    const local = await startSandbox({ signType: "RSA", merchantPublicKey: merchant.publicKeyPem, alipayPrivateKey: alipay.privateKeyPem });
    try {
      expect(local.merchantPrivateKeyPem).toBeUndefined();
      expect(local.alipayPublicKeyPem).toBe(alipay.publicKeyPem);
      const { parsePrivateKey } = await import("@alipayhk/core");
      const r = await callGateway(
        local,
        { service: "alipay.acquire.overseas.query", partner_trans_id: "x" },
        { signType: "RSA", signKey: { privateKey: parsePrivateKey(merchant.privateKeyPem) } },
      );
      expect(r.reply.response.error).toBe("TRADE_NOT_EXIST");
      expect(r.signatureValid).toBe(true);
    } finally {
      await local.close();
    }
  });
});
