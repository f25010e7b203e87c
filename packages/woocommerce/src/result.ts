/**
 * What domain code answers instead of throwing for an outcome the caller must handle: a value, or
 * a refusal with a `reason` (a closed set per operation) and one line for a person. The HTTP layer
 * maps reasons to statuses; domain code knows nothing of HTTP.
 */
export type Result<T, Reason extends string> = { ok: true; value: T } | Refusal<Reason>;

/** A refusal: nothing was changed that the caller has to undo. */
export interface Refusal<Reason extends string> {
  ok: false;
  reason: Reason;
  message: string;
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const refuse = <Reason extends string>(reason: Reason, message: string): Refusal<Reason> => ({ ok: false, reason, message });
