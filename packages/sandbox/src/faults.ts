/**
 * Faults the sandbox injects on request, so clients' recovery paths can be tested: latency, a
 * reply dropped after the work was committed, HTTP 5xx, malformed XML, a wrong signature, a
 * cancel that asks to be retried, and duplicate or out-of-order notifications.
 */

export interface FaultSpec {
  /** Wait this long (real ms) before handling the request. */
  latencyMs?: number;
  /** Do the work (commit), then close the connection without a reply. */
  dropReplyAfterCommit?: boolean;
  /** Answer this HTTP status (500–599, or 4xx) with an HTML body; the request is not processed. */
  httpStatus?: number;
  /** Process the request, then send a truncated XML body. */
  malformedXml?: boolean;
  /** Process the request, then sign the reply over other content. */
  wrongSignature?: boolean;
  /** `alipay.acquire.cancel` answers FAIL / SYSTEM_ERROR / `retry_flag=Y` without doing anything. */
  cancelRetryFlag?: boolean;
  /**
   * `alipay.acquire.overseas.spot.pay` only: hold the charge up to this long (real ms) before the
   * gateway knows it, then process it even if the client gave up. A cancel of its id during the hold
   * answers SUCCESS without `trade_no` and ends the hold: the charge then creates a paid trade.
   */
  holdChargeMs?: number;
  /** Deliver each matching notification this many extra times (same notify_id) after it was acknowledged. */
  notifyDuplicate?: number;
  /** After a payment notification, deliver a stale `WAIT_BUYER_PAY` one for the same trade. */
  notifyOutOfOrder?: boolean;
  /** Apply to the first matching request (or notification) only, then remove the fault. */
  once?: boolean;
  /** Only requests for this service. */
  service?: string;
  /** Only requests (or notifications) about this `partner_trans_id` / `out_trade_no`. */
  partnerTransId?: string;
}

export interface FaultRule extends FaultSpec {
  id: number;
  /** How many times the fault was applied. */
  hits: number;
}

/** What the gateway does differently for one request. */
export interface RequestFaults {
  latencyMs: number;
  dropReplyAfterCommit: boolean;
  httpStatus?: number;
  malformedXml: boolean;
  wrongSignature: boolean;
  cancelRetryFlag: boolean;
  holdChargeMs: number;
}

export interface NotificationFaults {
  duplicates: number;
  outOfOrder: boolean;
}

const KEYS = new Set<keyof FaultSpec>([
  "latencyMs",
  "dropReplyAfterCommit",
  "httpStatus",
  "malformedXml",
  "wrongSignature",
  "cancelRetryFlag",
  "holdChargeMs",
  "notifyDuplicate",
  "notifyOutOfOrder",
  "once",
  "service",
  "partnerTransId",
]);

export class FaultSpecError extends Error {
  override readonly name = "FaultSpecError";
}

/** Checks a fault given as JSON; the message names the field and the expected shape. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    throw new FaultSpecError(`fault: expected a JSON object like {"httpStatus":502,"once":true}, got ${JSON.stringify(input)?.slice(0, 60)}`);
  }
  const spec = input as Record<string, unknown>;
  for (const name of Object.keys(spec)) {
    if (!KEYS.has(name as keyof FaultSpec)) throw new FaultSpecError(`fault: unknown option "${name}"; expected one of ${[...KEYS].join(", ")}`);
  }
  const bool = (name: keyof FaultSpec) => {
    if (spec[name] !== undefined && typeof spec[name] !== "boolean") throw new FaultSpecError(`${name}: expected true or false`);
  };
  const int = (name: keyof FaultSpec, min: number, max: number) => {
    const value = spec[name];
    if (value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)) {
      throw new FaultSpecError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  };
  const str = (name: keyof FaultSpec) => {
    if (spec[name] !== undefined && (typeof spec[name] !== "string" || spec[name] === "")) throw new FaultSpecError(`${name}: expected a non-empty string`);
  };
  int("latencyMs", 0, 600_000);
  int("holdChargeMs", 0, 600_000);
  int("httpStatus", 400, 599);
  int("notifyDuplicate", 0, 10);
  for (const name of ["dropReplyAfterCommit", "malformedXml", "wrongSignature", "cancelRetryFlag", "notifyOutOfOrder", "once"] as const) bool(name);
  str("service");
  str("partnerTransId");
  const effects = [...KEYS].filter(
    (name) => !["once", "service", "partnerTransId"].includes(name) && spec[name] !== undefined && spec[name] !== false && spec[name] !== 0,
  );
  if (effects.length === 0)
    throw new FaultSpecError(
      "fault: names no effect; set one of latencyMs, dropReplyAfterCommit, httpStatus, malformedXml, wrongSignature, cancelRetryFlag, holdChargeMs, notifyDuplicate, notifyOutOfOrder",
    );
  return spec as FaultSpec;
}

const REQUEST_EFFECTS = ["latencyMs", "dropReplyAfterCommit", "httpStatus", "malformedXml", "wrongSignature", "cancelRetryFlag", "holdChargeMs"] as const;
const SPOT_PAY = "alipay.acquire.overseas.spot.pay";

/** The active fault rules, global or narrowed to one service or trade. */
export class FaultBook {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(spec: FaultSpec): FaultRule {
    const rule: FaultRule = { ...spec, id: this.nextId++, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length !== before;
  }

  /** The faults for one gateway request; `once` rules that apply are used up. */
  forRequest(service: string | undefined, partnerTransId: string | undefined): RequestFaults {
    const faults: RequestFaults = {
      latencyMs: 0,
      dropReplyAfterCommit: false,
      malformedXml: false,
      wrongSignature: false,
      cancelRetryFlag: false,
      holdChargeMs: 0,
    };
    for (const rule of this.rules) {
      if (rule.service && rule.service !== service) continue;
      if (rule.partnerTransId && rule.partnerTransId !== partnerTransId) continue;
      const applies = REQUEST_EFFECTS.some((name) =>
        name === "cancelRetryFlag"
          ? rule.cancelRetryFlag && service === "alipay.acquire.cancel"
          : name === "holdChargeMs"
            ? rule.holdChargeMs && service === SPOT_PAY
            : rule[name],
      );
      if (!applies) continue;
      faults.latencyMs += rule.latencyMs ?? 0;
      faults.dropReplyAfterCommit ||= rule.dropReplyAfterCommit === true;
      faults.httpStatus ??= rule.httpStatus;
      faults.malformedXml ||= rule.malformedXml === true;
      faults.wrongSignature ||= rule.wrongSignature === true;
      faults.cancelRetryFlag ||= rule.cancelRetryFlag === true && service === "alipay.acquire.cancel";
      if (service === SPOT_PAY) faults.holdChargeMs += rule.holdChargeMs ?? 0;
      this.use(rule);
    }
    return faults;
  }

  /** The faults for one new notification about `partnerTransId`. */
  forNotification(partnerTransId: string): NotificationFaults {
    const faults: NotificationFaults = { duplicates: 0, outOfOrder: false };
    for (const rule of this.rules) {
      if (rule.partnerTransId && rule.partnerTransId !== partnerTransId) continue;
      if (!rule.notifyDuplicate && !rule.notifyOutOfOrder) continue;
      faults.duplicates += rule.notifyDuplicate ?? 0;
      faults.outOfOrder ||= rule.notifyOutOfOrder === true;
      this.use(rule);
    }
    return faults;
  }

  private use(rule: FaultRule): void {
    rule.hits += 1;
    if (rule.once) this.rules = this.rules.filter((r) => r !== rule);
  }
}
