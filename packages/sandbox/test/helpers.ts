/**
 * Test helpers that build gateway requests by hand (core's signParams + fetch), so the sandbox is
 * checked against requests our own client did not make, and that verify the replies' signatures.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  encodeForm,
  nodeCryptoSigner,
  parseForm,
  parseGatewayReply,
  parsePrivateKey,
  parsePublicKey,
  responseSignContent,
  signParams,
  type GatewayReply,
  type SignKey,
  type SignType,
  type VerifyKey,
} from "@alipayhk/core";
import type { RunningSandbox } from "../src/index";

export const TEST_MD5_KEY = "0123456789abcdefghijklmnopqrstuv";

export interface CallOptions {
  signType?: SignType;
  method?: "GET" | "POST";
  charset?: "UTF-8" | "GBK";
  /** Sign with this key instead of the sandbox's partner key. */
  signKey?: SignKey;
  /** Send these parameters exactly (already signed), skipping signing. */
  raw?: boolean;
  /** Where `_input_charset` travels on POST: the URL (default, like the official SDK) or the body. */
  charsetInBody?: boolean;
  signal?: AbortSignal;
}

export interface CallResult {
  status: number;
  contentType: string;
  detail?: string;
  body: Buffer;
  reply: GatewayReply;
  /** The reply's signature checked with the MD5 key or the sandbox's Alipay public key; undefined when unsigned. */
  signatureValid?: boolean;
  sent: Record<string, string>;
}

export function signKeyFor(sandbox: RunningSandbox, signType: SignType): SignKey {
  if (signType === "MD5") return { md5Key: sandbox.md5Key };
  return { privateKey: parsePrivateKey(sandbox.merchantPrivateKeyPem!, "merchantPrivateKey") };
}

export function verifyKeyFor(sandbox: RunningSandbox, signType: SignType): VerifyKey {
  return signType === "MD5" ? { md5Key: sandbox.md5Key } : { publicKey: parsePublicKey(sandbox.alipayPublicKeyPem) };
}

/** Signs `params` (service, partner and charset added) and sends them; the reply is not parsed. */
export async function sendGateway(
  sandbox: RunningSandbox,
  params: Record<string, string | undefined>,
  options: CallOptions = {},
): Promise<{ response: Response; body: Buffer; sent: Record<string, string> }> {
  const signType = options.signType ?? "MD5";
  const charset = options.charset ?? "UTF-8";
  const all: Record<string, string | undefined> = options.raw ? params : { partner: sandbox.partner, _input_charset: charset, ...params };
  const sent = options.raw ? (all as Record<string, string>) : signParams(all, signType, options.signKey ?? signKeyFor(sandbox, signType));
  let response: Response;
  if ((options.method ?? "POST") === "GET") {
    response = await fetch(`${sandbox.gatewayUrl}?${encodeForm(sent, charset)}`, { signal: options.signal });
  } else {
    const { _input_charset: inputCharset, ...rest } = sent;
    const inUrl = inputCharset !== undefined && !options.charsetInBody;
    response = await fetch(inUrl ? `${sandbox.gatewayUrl}?_input_charset=${inputCharset}` : sandbox.gatewayUrl, {
      method: "POST",
      headers: { "content-type": `application/x-www-form-urlencoded; charset=${charset}` },
      body: encodeForm(inUrl ? rest : sent, charset),
      signal: options.signal,
    });
  }
  return { response, body: Buffer.from(await response.arrayBuffer()), sent };
}

/** Signs and sends `params`, parses the XML reply and checks its signature. */
export async function callGateway(sandbox: RunningSandbox, params: Record<string, string | undefined>, options: CallOptions = {}): Promise<CallResult> {
  const { response, body, sent } = await sendGateway(sandbox, params, options);
  const contentType = response.headers.get("content-type") ?? "";
  const reply = parseGatewayReply(body, contentType);
  let signatureValid: boolean | undefined;
  if (reply.sign) {
    const replySignType = reply.signType as SignType;
    signatureValid = nodeCryptoSigner.verify(replySignType, responseSignContent(reply), reply.sign, verifyKeyFor(sandbox, replySignType));
  }
  return { status: response.status, contentType, detail: response.headers.get("x-sandbox-detail") ?? undefined, body, reply, signatureValid, sent };
}

/** An admin route's refusal, in the service kit's shape. */
export interface AdminErrorBody {
  error: { code: string; message: string };
  message: string;
}

export async function admin<T = unknown>(sandbox: RunningSandbox, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls until `check` returns a value (not a timing assertion: it only waits for an event). */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface ReceivedNotification {
  fields: Record<string, string>;
  raw: string;
  contentType: string;
}

/** A merchant notify_url endpoint whose answers the test scripts (default `success`). */
export async function startReceiver(answer: (n: ReceivedNotification, index: number) => { status?: number; body: string } = () => ({ body: "success" })) {
  const received: ReceivedNotification[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("latin1");
      const contentType = req.headers["content-type"] ?? "";
      const charset = /charset=([A-Za-z0-9-]+)/.exec(contentType)?.[1] ?? "UTF-8";
      const n = { fields: parseForm(raw, charset), raw, contentType };
      received.push(n);
      const { status = 200, body } = answer(n, received.length - 1);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let counter = 0;
/** A unique merchant id per test. */
export function uid(prefix = "T"): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}
