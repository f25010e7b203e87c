/**
 * @alipayhk/core: the Alipay HK gateway protocol (signing, XML replies, typed client), the
 * order→payment flows every adapter uses, and (under `@alipayhk/core/reconciliation`) the
 * reconciliation-file parser.
 */
export * from "./amount";
export * from "./errors";
export * from "./signing/index";
export * from "./xml";
