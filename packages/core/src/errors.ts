/**
 * One error hierarchy for everything the gateway can do wrong. Every error carries the service,
 * the gateway code, the merchant's `partner_trans_id` and the raw reply where there is one, and
 * never a key: messages are built only from codes, field names and ids.
 */

export type AlipayErrorType = "config" | "signature" | "gateway" | "business" | "network" | "timeout" | "unknown_outcome" | "protocol";

export interface AlipayErrorDetails {
  service?: string;
  code?: string;
  /** The input field at fault (configuration and input errors), e.g. `amount` or `extendInfo.store_id`. */
  field?: string;
  partnerTransId?: string;
  raw?: string;
  cause?: unknown;
}

/** Base class: `type` tells the category, `code` the gateway's code where it gave one. */
export class AlipayError extends Error {
  readonly type: AlipayErrorType = "protocol";
  readonly service?: string;
  readonly code?: string;
  readonly partnerTransId?: string;
  /** The raw reply body (XML or text) when there was one. Replies carry no secrets. */
  readonly raw?: string;
  /**
   * The input field at fault, for configuration and input errors: given by the thrower, or the
   * `<field>:` every such message starts with. Read this instead of parsing the message.
   */
  readonly field?: string;

  constructor(message: string, details: AlipayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.service = details.service;
    this.code = details.code;
    this.field = details.field ?? (this instanceof AlipayConfigError ? /^([A-Za-z_][\w.\-[\]]*): /.exec(message)?.[1] : undefined);
    this.partnerTransId = details.partnerTransId;
    this.raw = details.raw;
  }
}

/** Configuration is wrong: a missing key, a key in the wrong role, a bad partner id. */
export class AlipayConfigError extends AlipayError {
  override readonly type = "config" as const;
}

/** A reply or notification failed signature verification; nothing in it may be used. */
export class AlipaySignatureError extends AlipayError {
  override readonly type = "signature" as const;
}

/** The gateway refused the request itself: `is_success=F` with `error=<code>`. */
export class AlipayGatewayError extends AlipayError {
  override readonly type = "gateway" as const;
}

/** The request was processed and the business result is a definite failure (`result_code` FAIL/FAILED). */
export class AlipayBusinessError extends AlipayError {
  override readonly type = "business" as const;
}

/** The request could not be delivered, or the reply could not be read (connection refused, reset, HTTP 5xx). */
export class AlipayNetworkError extends AlipayError {
  override readonly type = "network" as const;
}

/** No reply within the timeout: the request may or may not have been executed. */
export class AlipayTimeoutError extends AlipayError {
  override readonly type = "timeout" as const;
}

/** The gateway answered, but the outcome is unknown (`UNKNOW`/`UNKNOWN`, `SYSTEM_ERROR`): resolve by query. */
export class AlipayUnknownOutcomeError extends AlipayError {
  override readonly type = "unknown_outcome" as const;
}

/** The reply is not a well-formed gateway envelope (malformed XML, DTD/entities, HTML). */
export class AlipayProtocolError extends AlipayError {
  override readonly type = "protocol" as const;
}

/**
 * True when the request may have been executed at Alipay without us knowing the result:
 * a timeout, a network failure after sending, or an explicit unknown outcome.
 */
export function isOutcomeUncertain(error: unknown): boolean {
  return (
    error instanceof AlipayTimeoutError ||
    error instanceof AlipayNetworkError ||
    error instanceof AlipayUnknownOutcomeError ||
    error instanceof AlipayProtocolError ||
    (error instanceof AlipayGatewayError && error.code === "SYSTEM_ERROR")
  );
}
