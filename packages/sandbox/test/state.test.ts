/** The optional state file: a restarted sandbox keeps its ledger, notifications, clock and generated keys. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSandbox } from "../src/index";
import { callGateway } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "alipayhk-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("state file", () => {
  it("keeps trades, refunds, the clock offset, id sequence and generated RSA keys across a restart", async () => {
    const stateFile = join(dir, "state.json");
    const first = await startSandbox({ stateFile, signType: "RSA2" });
    await callGateway(
      first,
      { service: "alipay.acquire.precreate", out_trade_no: "KEEP-1", subject: "x", product_code: "OVERSEAS_MBARCODE_PAY", total_fee: "20.00", currency: "HKD" },
      { signType: "RSA2" },
    );
    first.payTrade("KEEP-1");
    await callGateway(
      first,
      {
        service: "alipay.acquire.overseas.spot.refund",
        partner_trans_id: "KEEP-1",
        partner_refund_id: "KEEP-1-R",
        refund_amount: "5.00",
        currency: "HKD",
        is_sync: "Y",
      },
      { signType: "RSA2" },
    );
    first.advanceClock("3d");
    const before = first.trades();
    const keys = { merchant: first.merchantPrivateKeyPem, alipay: first.alipayPublicKeyPem };
    const clock = first.now().getTime();
    await first.close();
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({ format: "alipayhk-sandbox-state", version: 1 });

    const second = await startSandbox({ stateFile, signType: "RSA2" });
    try {
      expect(second.trades()).toEqual(before);
      expect(second.merchantPrivateKeyPem).toBe(keys.merchant);
      expect(second.alipayPublicKeyPem).toBe(keys.alipay);
      expect(second.now().getTime()).toBeGreaterThanOrEqual(clock);
      // The same merchant key still signs, and the ledger still counts the first refund.
      const over = await callGateway(
        second,
        {
          service: "alipay.acquire.overseas.spot.refund",
          partner_trans_id: "KEEP-1",
          partner_refund_id: "KEEP-1-R2",
          refund_amount: "15.01",
          currency: "HKD",
          is_sync: "Y",
        },
        { signType: "RSA2" },
      );
      expect(over.signatureValid).toBe(true);
      expect(over.reply.response.error).toBe("REFUND_AMT_RESTRICTION");
      // New trade ids continue the sequence instead of repeating one.
      await callGateway(
        second,
        {
          service: "alipay.acquire.precreate",
          out_trade_no: "KEEP-2",
          subject: "x",
          product_code: "OVERSEAS_MBARCODE_PAY",
          total_fee: "1.00",
          currency: "HKD",
        },
        { signType: "RSA2" },
      );
      const ids = second.trades().map((t) => t.trade_no);
      expect(new Set(ids).size).toBe(2);
    } finally {
      await second.close();
    }
  });

  it("refuses a file that is not a state file, naming the option", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    await expect(startSandbox({ stateFile: bad })).rejects.toThrow(/^stateFile: .* is not valid JSON/);
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    await expect(startSandbox({ stateFile: bad })).rejects.toThrow(/^stateFile: .* is not a sandbox state file/);
  });

  it("starts empty in memory without a state file", async () => {
    const a = await startSandbox();
    await callGateway(a, {
      service: "alipay.acquire.precreate",
      out_trade_no: "MEM-1",
      subject: "x",
      product_code: "OVERSEAS_MBARCODE_PAY",
      total_fee: "1.00",
      currency: "HKD",
    });
    await a.close();
    const b = await startSandbox();
    expect(b.trades()).toEqual([]);
    await b.close();
  });
});
