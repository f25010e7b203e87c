/** Each fault of /sandbox/faults: latency, drop after commit, HTTP 5xx, malformed XML, wrong signature; once/service/partnerTransId scoping. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseGatewayReply } from "@alipayhk/core";
import { startSandbox, type FaultRule, type RunningSandbox } from "../src/index";
import { admin, callGateway, sendGateway, uid, waitFor } from "./helpers";

let sandbox: RunningSandbox;
const log: string[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ log: (line) => log.push(line) });
});
afterAll(() => sandbox.close());
afterEach(async () => {
  await admin(sandbox, "DELETE", "/sandbox/faults");
});

const precreate = (id: string) => ({
  service: "alipay.acquire.precreate",
  out_trade_no: id,
  subject: "x",
  product_code: "OVERSEAS_MBARCODE_PAY",
  total_fee: "5.00",
  currency: "HKD",
});
const exists = (id: string) => sandbox.trades().some((t) => t.out_trade_no === id);

describe("faults", () => {
  it("latencyMs delays the reply; a client that gives up early still leaves the work done", async () => {
    await admin(sandbox, "POST", "/sandbox/faults", { latencyMs: 800, service: "alipay.acquire.precreate", once: true });
    const id = uid("L");
    const controller = new AbortController();
    const sent = sendGateway(sandbox, precreate(id), { signal: controller.signal });
    // Give up once the sandbox has the request (not after a fixed time, which a loaded machine may not meet).
    await waitFor(() => log.some((line) => line.includes(`${id} delayed 800 ms`)), "the request to arrive");
    controller.abort();
    await expect(sent).rejects.toThrow();
    await waitFor(() => exists(id), "the delayed request to be processed");
    expect((await callGateway(sandbox, precreate(id))).reply.response.result_code).toBe("SUCCESS");
  });

  it("dropReplyAfterCommit commits and closes the connection without a reply", async () => {
    const id = uid("D");
    await admin(sandbox, "POST", "/sandbox/faults", { dropReplyAfterCommit: true, partnerTransId: id });
    await expect(callGateway(sandbox, precreate(id))).rejects.toThrow();
    expect(exists(id)).toBe(true);
  });

  it("httpStatus answers an HTML error page and does not process the request", async () => {
    const id = uid("H");
    await admin(sandbox, "POST", "/sandbox/faults", { httpStatus: 502, once: true });
    const r = await sendGateway(sandbox, precreate(id));
    expect(r.response.status).toBe(502);
    expect(r.response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(exists(id)).toBe(false);
    // once: the next request is served.
    expect((await callGateway(sandbox, precreate(id))).reply.response.result_code).toBe("SUCCESS");
  });

  it("malformedXml sends a truncated body (after committing)", async () => {
    const id = uid("M");
    await admin(sandbox, "POST", "/sandbox/faults", { malformedXml: true, once: true });
    const r = await sendGateway(sandbox, precreate(id));
    expect(r.response.status).toBe(200);
    expect(() => parseGatewayReply(r.body)).toThrow(/malformed XML|expected/);
    expect(exists(id)).toBe(true);
  });

  it("wrongSignature signs the reply over other content", async () => {
    await admin(sandbox, "POST", "/sandbox/faults", { wrongSignature: true, once: true });
    const r = await callGateway(sandbox, precreate(uid("W")));
    expect(r.reply.isSuccess).toBe(true);
    expect(r.reply.sign).toBeTruthy();
    expect(r.signatureValid).toBe(false);
    expect((await callGateway(sandbox, precreate(uid("W")))).signatureValid).toBe(true);
  });

  it("service and partnerTransId narrow a fault; GET lists, DELETE /{id} removes one", async () => {
    const added = await admin<FaultRule>(sandbox, "POST", "/sandbox/faults", { httpStatus: 503, service: "alipay.acquire.overseas.query" });
    expect(added.status).toBe(201);
    expect((await sendGateway(sandbox, precreate(uid()))).response.status).toBe(200);
    expect((await sendGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: "x" })).response.status).toBe(503);
    const listed = await admin<FaultRule[]>(sandbox, "GET", "/sandbox/faults");
    expect(listed.json).toEqual([expect.objectContaining({ id: added.json.id, httpStatus: 503, hits: 1 })]);
    expect((await admin(sandbox, "DELETE", `/sandbox/faults/${added.json.id}`)).status).toBe(200);
    expect((await sendGateway(sandbox, { service: "alipay.acquire.overseas.query", partner_trans_id: "x" })).response.status).toBe(200);
  });

  it("refuses fault specs it does not understand, naming the field", async () => {
    const bad = await admin<{ error: string; message: string }>(sandbox, "POST", "/sandbox/faults", { httpStatus: 200 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^httpStatus: expected an integer from 400 to 599/);
    const unknown = await admin<{ message: string }>(sandbox, "POST", "/sandbox/faults", { explode: true });
    expect(unknown.json.message).toMatch(/^fault: unknown option "explode"/);
    const none = await admin<{ message: string }>(sandbox, "POST", "/sandbox/faults", { once: true });
    expect(none.json.message).toMatch(/^fault: names no effect/);
  });

  it("faults given at start apply from the first request", async () => {
    const local = await startSandbox({ faults: [{ httpStatus: 500, once: true }] });
    try {
      expect((await sendGateway(local, precreate(uid()))).response.status).toBe(500);
      expect((await sendGateway(local, precreate(uid()))).response.status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
