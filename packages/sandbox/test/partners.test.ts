/** Several partners under one Alipay key: options, CLI flags, admin routes, and each partner's own signed notifications. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseForm, parsePrivateKey, parsePublicKey, verifyParams } from "@alipayhk/core";
import { parseSandboxArgs, startSandbox, type RunningSandbox, type SandboxTrade } from "../src/index";
import { admin, callGateway, startReceiver, uid, waitFor, type AdminErrorBody } from "./helpers";

const B = "2088000000000077";
const B_KEY = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C = "2088000000000088";

let sandbox: RunningSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  sandbox = await startSandbox({
    partners: [
      { partner: B, md5Key: B_KEY },
      { partner: C, signType: "RSA2" },
    ],
    notifyTimeScale: 0.001,
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe("several partners, one Alipay key", () => {
  it("signs the RSA2 replies of every RSA partner with the same Alipay key", async () => {
    const c = sandbox.partners.find((p) => p.partner === C)!;
    const r = await callGateway(
      sandbox,
      { partner: C, service: "alipay.acquire.overseas.query", partner_trans_id: "nothing-here" },
      { signType: "RSA2", signKey: { privateKey: parsePrivateKey(c.merchantPrivateKeyPem!) } },
    );
    expect(r.reply.isSuccess).toBe(true);
    expect(r.signatureValid).toBe(true);
  });

  it("refuses partner A's MD5 key for partner B (ILLEGAL_SIGN)", async () => {
    const r = await callGateway(
      sandbox,
      { partner: B, service: "alipay.acquire.overseas.query", partner_trans_id: "x" },
      { signKey: { md5Key: sandbox.md5Key } },
    );
    expect(r.reply.error).toBe("ILLEGAL_SIGN");
  });

  it("opens and pays a trade of partner B through the admin API; B's notification verifies with B's key only, and its exact body is served", async () => {
    const id = uid("PB");
    const opened = await admin<SandboxTrade>(sandbox, "POST", "/sandbox/trades", {
      partner: B,
      out_trade_no: id,
      total_fee: "12.30",
      notify_url: receiver.url,
    });
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ partner: B, out_trade_no: id, status: "WAIT_BUYER_PAY", total_fee: "12.30" });
    await admin(sandbox, "POST", `/sandbox/trades/${id}/pay?partner=${B}`);
    const got = await waitFor(() => receiver.received.find((n) => n.fields.out_trade_no === id), "B's notification");
    expect(got.fields.seller_id).toBe(B);
    expect(verifyParams(got.fields, { md5Key: B_KEY }).ok).toBe(true);
    expect(verifyParams(got.fields, { md5Key: sandbox.md5Key }).ok).toBe(false);

    const list = await admin<Array<{ id: number; partner: string; outTradeNo: string }>>(sandbox, "GET", `/sandbox/notifications?partner=${B}`);
    const record = list.json.find((n) => n.outTradeNo === id)!;
    const body = await fetch(`${sandbox.url}/sandbox/notifications/${record.id}/body`);
    expect(body.headers.get("content-type")).toBe("application/x-www-form-urlencoded; charset=UTF-8");
    const raw = await body.text();
    expect(raw).toBe(got.raw);
    expect(parseForm(raw, "UTF-8")).toEqual(got.fields);
    expect(sandbox.notificationBody(record.id).body.toString("latin1")).toBe(got.raw);
  });

  it("signs an RSA2 partner's notification with the one Alipay key", async () => {
    const id = uid("PC");
    sandbox.openQrTrade({ partner: C, out_trade_no: id, total_fee: "1.00", notify_url: receiver.url });
    sandbox.payTrade(id, { partner: C });
    const got = await waitFor(() => receiver.received.find((n) => n.fields.out_trade_no === id), "C's notification");
    expect(got.fields.sign_type).toBe("RSA2");
    expect(verifyParams(got.fields, { publicKey: parsePublicKey(sandbox.alipayPublicKeyPem) }).ok).toBe(true);
  });

  it("adds a partner at run time (POST /sandbox/partners) and refuses a bad or repeated one with a line naming the field", async () => {
    const added = await admin<{ partner: string; md5Key: string }>(sandbox, "POST", "/sandbox/partners", {
      partner: "2088000000000099",
      md5Key: "cccccccccccccccccccccccccccccccc",
    });
    expect(added.status).toBe(201);
    const r = await callGateway(
      sandbox,
      { partner: "2088000000000099", service: "alipay.acquire.overseas.query", partner_trans_id: "x" },
      { signKey: { md5Key: "cccccccccccccccccccccccccccccccc" } },
    );
    expect(r.reply.isSuccess).toBe(true);
    expect((await admin(sandbox, "POST", "/sandbox/partners", { partner: "2088000000000099" })).json).toEqual({
      error: { code: "BAD_PARTNER", message: "partner: 2088000000000099 is already a partner of this sandbox" },
      message: "partner: 2088000000000099 is already a partner of this sandbox",
    });
    expect((await admin(sandbox, "POST", "/sandbox/partners", { partner: "12" })).status).toBe(400);
    const all = await admin<Array<{ partner: string }>>(sandbox, "GET", "/sandbox/partners");
    expect(all.json.map((p) => p.partner)).toEqual([sandbox.partner, B, C, "2088000000000099"]);
  });

  it("refuses an admin trade with a bad amount or unknown partner and records nothing", async () => {
    const id = uid("PX");
    expect((await admin<AdminErrorBody>(sandbox, "POST", "/sandbox/trades", { partner: B, out_trade_no: id, total_fee: "1.5" })).json.error.code).toBe(
      "BAD_TRADE",
    );
    expect(
      (await admin<AdminErrorBody>(sandbox, "POST", "/sandbox/trades", { partner: "2088999999999999", out_trade_no: id, total_fee: "1.50" })).json.error.code,
    ).toBe("ILLEGAL_PARTNER");
    expect(sandbox.trades().some((t) => t.out_trade_no === id)).toBe(false);
  });
});

describe("--partner, repeated", () => {
  it("makes the first the main partner and the others extra partners with their own key and sign type", () => {
    expect(
      parseSandboxArgs(["--partner", "2088000000000011", "--md5-key", "abcdefghijklmnop", "--partner", `${B}:${B_KEY}`, "--partner", `${C}::RSA2`]).options,
    ).toEqual({
      port: 4010,
      partner: "2088000000000011",
      md5Key: "abcdefghijklmnop",
      partners: [
        { partner: B, md5Key: B_KEY },
        { partner: C, signType: "RSA2" },
      ],
    });
  });

  it("--held-charge sets heldChargeMs, and names itself when malformed", () => {
    expect(parseSandboxArgs(["--held-charge", "1500ms"]).options.heldChargeMs).toBe(1500);
    expect(() => parseSandboxArgs(["--held-charge", "soon"])).toThrow('--held-charge: expected a duration up to 10m like "3s" or "500ms", got "soon"');
  });

  it("names the flag, without echoing a key, when a partner is malformed or repeated", () => {
    expect(() => parseSandboxArgs(["--partner", `${B}:short`])).toThrow(/^--partner: expected <pid>\[:<md5-key>\[:<sign-type>\]\]/);
    expect(() => parseSandboxArgs(["--partner", `${B}:short`])).not.toThrow(/short/);
    expect(() => parseSandboxArgs(["--partner", B, "--partner", B])).toThrow(`--partner: expected each partner once, got ${B} twice`);
  });
});
