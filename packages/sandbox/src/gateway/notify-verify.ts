/** `notify_verify` (spec §3.5): plain-text `true` for a notify_id the sandbox sent this partner within the window. */
import type { ServiceContext, ServiceResult } from "./service";

export function notifyVerify(ctx: ServiceContext): ServiceResult {
  return { kind: "text", body: ctx.engine.notifier.isValid(ctx.partner.partner, ctx.params.notify_id!) ? "true" : "false" };
}
