/**
 * The admin routes, all under `/sandbox/`: trades, the buyer's actions, the wallet page,
 * notifications, faults, the clock, reconciliation files and a reset. JSON in and out (errors as
 * the service kit's `{"error":{"code","message"},"message"}`), except the wallet page (HTML), the
 * QR images (SVG) and the files (text).
 */
import { AlipayConfigError, gmt8Day, toBareBase64 } from "@alipayhk/core";
import { bytes, html, HttpError, json, parseForm, parseJsonObject, redirect, text, type Reply, type RequestContext, type Route } from "@alipayhk/service-kit";
import QRCode from "qrcode";
import { parseDuration } from "../clock";
import type { SandboxEngine } from "../engine";
import { FaultSpecError, parseFaultSpec } from "../faults";
import { availableFiles, ledgerEntries, parseFileName, renderFile } from "../files";
import { addPartner, type SandboxPartnerOptions } from "../options";
import { tradeView } from "../views";
import { renderWalletPage } from "../wallet-page";
import {
  buyerDeclines,
  buyerPays,
  clockView,
  findByQr,
  findNotification,
  findTrade,
  info,
  notificationBody,
  openQrTrade,
  parseWallet,
  partnerView,
  type OpenQrTradeInput,
  type Outcome,
} from "./actions";

const STATUS = { invalid: 400, not_found: 404, conflict: 409 } as const;

/** The value, or the refusal as an {@link HttpError} (400, 404 or 409). */
function orFail<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new HttpError(STATUS[outcome.reason], outcome.code, outcome.message);
  return outcome.value;
}

/** Indented JSON: people read these with curl. */
function pretty(status: number, value: unknown): Reply {
  return { ...json(status, value), body: `${JSON.stringify(value, null, 2)}\n` };
}

async function jsonBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  return parseJsonObject(await ctx.body());
}

/** The routes of `/sandbox/...`; `url()` is the sandbox's base URL once it listens. */
export function adminRoutes(engine: SandboxEngine, url: () => string): Route[] {
  const showInfo = () => pretty(200, info(engine, url()));
  return [
    { method: "GET", path: "/sandbox", handle: showInfo },
    { method: "GET", path: "/sandbox/", handle: showInfo },
    { method: "GET", path: "/sandbox/info", handle: showInfo },
    {
      method: "GET",
      path: "/sandbox/alipay-public-key",
      handle: ({ url: { searchParams } }) => {
        const pem = engine.config.alipayPublicKey.pem;
        return text(200, searchParams.get("format") === "base64" ? `${toBareBase64(pem)}\n` : pem);
      },
    },
    ...partnerRoutes(engine),
    ...tradeRoutes(engine),
    ...walletRoutes(engine),
    ...notificationRoutes(engine),
    ...faultRoutes(engine),
    ...clockRoutes(engine),
    ...fileRoutes(engine),
    {
      method: "POST",
      path: "/sandbox/reset",
      handle: () => {
        engine.reset();
        return pretty(200, { reset: true });
      },
    },
  ];
}

function partnerRoutes(engine: SandboxEngine): Route[] {
  return [
    { method: "GET", path: "/sandbox/partners", handle: () => pretty(200, [...engine.config.partners.values()].map(partnerView)) },
    {
      method: "POST",
      path: "/sandbox/partners",
      handle: async (ctx) => {
        try {
          return pretty(201, partnerView(addPartner(engine.config, (await jsonBody(ctx)) as unknown as SandboxPartnerOptions)));
        } catch (error) {
          if (error instanceof AlipayConfigError) throw new HttpError(400, "BAD_PARTNER", error.message);
          throw error;
        }
      },
    },
  ];
}

function tradeRoutes(engine: SandboxEngine): Route[] {
  /** The trade of `:id`, with `?partner=` (or the body's `partner`) when two partners use the id. */
  const trade = (ctx: RequestContext, input: Record<string, unknown> = {}) =>
    orFail(findTrade(engine, ctx.params.id!, ctx.url.searchParams.get("partner") ?? (typeof input.partner === "string" ? input.partner : undefined)));
  return [
    {
      method: "GET",
      path: "/sandbox/trades",
      handle: ({ url: { searchParams: q } }) => {
        let trades = engine.ledger.all().map((t) => engine.refresh(t));
        if (q.get("partner")) trades = trades.filter((t) => t.partner === q.get("partner"));
        if (q.get("status")) trades = trades.filter((t) => t.status === q.get("status"));
        if (q.get("qr_code")) trades = trades.filter((t) => t === engine.ledger.getByQrCode(q.get("qr_code")!));
        return pretty(200, trades.map(tradeView));
      },
    },
    {
      method: "POST",
      path: "/sandbox/trades",
      handle: async (ctx) => pretty(201, tradeView(orFail(openQrTrade(engine, (await jsonBody(ctx)) as unknown as OpenQrTradeInput)))),
    },
    { method: "GET", path: "/sandbox/trades/:id", handle: (ctx) => pretty(200, tradeView(trade(ctx))) },
    {
      method: "POST",
      path: "/sandbox/trades/:id/pay",
      handle: async (ctx) => {
        const input = await jsonBody(ctx);
        return pretty(200, tradeView(orFail(buyerPays(engine, trade(ctx, input), orFail(parseWallet(input.wallet))))));
      },
    },
    {
      method: "POST",
      path: "/sandbox/trades/:id/decline",
      handle: async (ctx) => pretty(200, tradeView(orFail(buyerDeclines(engine, trade(ctx, await jsonBody(ctx)))))),
    },
    {
      method: "GET",
      path: "/sandbox/qr/:code",
      handle: async ({ params }) => {
        if (!params.code!.endsWith(".svg")) return pretty(200, tradeView(orFail(findByQr(engine, params.code!))));
        const found = orFail(findByQr(engine, params.code!.slice(0, -4)));
        return bytes(200, await QRCode.toString(found.qrCode!, { type: "svg", margin: 1 }), "image/svg+xml");
      },
    },
    {
      method: "POST",
      path: "/sandbox/qr/:code/pay",
      handle: async (ctx) => {
        const found = orFail(findByQr(engine, ctx.params.code!));
        return pretty(200, tradeView(orFail(buyerPays(engine, found, orFail(parseWallet((await jsonBody(ctx)).wallet))))));
      },
    },
  ];
}

/** What a wallet button did, as the line the page shows. */
function walletAction(engine: SandboxEngine, action: "pay" | "decline", form: URLSearchParams): string {
  const found = findTrade(engine, form.get("out_trade_no") ?? "", form.get("partner") || undefined);
  if (!found.ok) return found.message;
  const trade = found.value;
  if (action === "decline") {
    const declined = buyerDeclines(engine, trade);
    return declined.ok ? `Declined ${trade.partnerTransId}.` : declined.message;
  }
  const wallet = parseWallet(form.get("wallet") ?? undefined);
  if (!wallet.ok) return wallet.message;
  const paid = buyerPays(engine, trade, wallet.value);
  return paid.ok ? `Paid ${trade.partnerTransId} with ${wallet.value}.` : paid.message;
}

function walletRoutes(engine: SandboxEngine): Route[] {
  /** A wallet button (a form post): act, then back to the page with one line saying what happened. */
  const button = (action: "pay" | "decline"): Route => ({
    method: "POST",
    path: `/sandbox/wallet/${action}`,
    handle: async (ctx) => redirect(`/sandbox/wallet?message=${encodeURIComponent(walletAction(engine, action, parseForm(await ctx.body())))}`),
  });
  return [
    {
      method: "GET",
      path: "/sandbox/wallet",
      handle: async ({ url: { searchParams: q } }) => {
        const all = engine.ledger.all().map((t) => engine.refresh(t));
        const qr = q.get("qr")?.trim();
        const page = await renderWalletPage({
          open: all.filter((t) => t.status === "WAIT_BUYER_PAY" && (t.product === "qr" || !t.pendingPayAt)),
          recent: all.slice(-20).reverse(),
          lookup: qr ? { qr, trade: engine.ledger.getByQrCode(qr) } : undefined,
          message: q.get("message") ?? undefined,
          now: engine.now(),
        });
        return html(200, page);
      },
    },
    button("pay"),
    button("decline"),
  ];
}

function notificationRoutes(engine: SandboxEngine): Route[] {
  return [
    {
      method: "GET",
      path: "/sandbox/notifications",
      handle: ({ url: { searchParams: q } }) =>
        pretty(
          200,
          engine.notifier
            .list()
            .filter((n) => (!q.get("out_trade_no") || n.outTradeNo === q.get("out_trade_no")) && (!q.get("partner") || n.partner === q.get("partner"))),
        ),
    },
    { method: "GET", path: "/sandbox/notifications/:id", handle: ({ params }) => pretty(200, orFail(findNotification(engine, params.id!))) },
    {
      method: "GET",
      path: "/sandbox/notifications/:id/body",
      handle: ({ params }) => {
        const { contentType, body } = notificationBody(orFail(findNotification(engine, params.id!)));
        return bytes(200, body, contentType);
      },
    },
  ];
}

function faultRoutes(engine: SandboxEngine): Route[] {
  const list = () => pretty(200, engine.faults.list());
  return [
    { method: "GET", path: "/sandbox/faults", handle: list },
    {
      method: "POST",
      path: "/sandbox/faults",
      handle: async (ctx) => {
        const raw = (await ctx.body()).toString("utf8").trim();
        let input: unknown;
        try {
          input = JSON.parse(raw);
        } catch {
          throw new HttpError(400, "BAD_JSON", `body: expected a fault object or a list of them, got ${JSON.stringify(raw.slice(0, 60))}`);
        }
        const specs = Array.isArray(input) ? input : [input];
        let checked;
        try {
          checked = specs.map(parseFaultSpec);
        } catch (error) {
          if (error instanceof FaultSpecError) throw new HttpError(400, "BAD_FAULT", error.message);
          throw error;
        }
        const added = checked.map((spec) => engine.faults.add(spec));
        return pretty(201, Array.isArray(input) ? added : added[0]);
      },
    },
    {
      method: "DELETE",
      path: "/sandbox/faults",
      handle: () => {
        engine.faults.clear();
        return list();
      },
    },
    {
      method: "DELETE",
      path: "/sandbox/faults/:id",
      handle: ({ params }) => {
        if (!engine.faults.remove(Number(params.id))) throw new HttpError(404, "FAULT_NOT_EXIST", `no fault with id ${JSON.stringify(params.id)}`);
        return list();
      },
    },
  ];
}

function clockRoutes(engine: SandboxEngine): Route[] {
  return [
    { method: "GET", path: "/sandbox/clock", handle: () => pretty(200, clockView(engine)) },
    {
      method: "POST",
      path: "/sandbox/clock",
      handle: async (ctx) => {
        const input = await jsonBody(ctx);
        if (input.advance !== undefined) {
          const ms = parseDuration(input.advance);
          if (ms === undefined || ms < 0)
            throw new HttpError(
              400,
              "BAD_DURATION",
              `advance: expected a duration like "25h", "90m", "2d" or a number of ms, got ${JSON.stringify(input.advance)}`,
            );
          engine.clock.advance(ms);
        } else if (input.set !== undefined) {
          const at = typeof input.set === "string" || typeof input.set === "number" ? new Date(input.set) : new Date(Number.NaN);
          if (Number.isNaN(at.getTime()))
            throw new HttpError(400, "BAD_TIME", `set: expected an ISO time like "2024-01-02T00:00:00+08:00", got ${JSON.stringify(input.set)}`);
          engine.clock.set(at);
        } else {
          throw new HttpError(400, "BAD_CLOCK", 'body: expected {"advance": "25h"} or {"set": "<ISO time>"}');
        }
        return pretty(200, clockView(engine));
      },
    },
  ];
}

function fileRoutes(engine: SandboxEngine): Route[] {
  const entries = () => ledgerEntries(engine.ledger.all(), engine.config.feeRate);
  return [
    { method: "GET", path: "/sandbox/files", handle: () => pretty(200, availableFiles(entries(), engine.config.settlementDelayDays, gmt8Day(engine.now()))) },
    {
      method: "GET",
      path: "/sandbox/files/:name",
      handle: ({ params }) => {
        const name = parseFileName(params.name!);
        if (!name || !engine.partner(name.partner)) {
          const expected = "expected <partner>_transaction_YYYYMMDD.txt or <partner>_settlement_YYYYMMDD.txt";
          throw new HttpError(404, "FILE_NOT_EXIST", `no file ${JSON.stringify(params.name!.slice(0, 80))}; ${expected}`);
        }
        return text(200, renderFile(name, entries(), engine.config.settlementDelayDays));
      },
    },
  ];
}
