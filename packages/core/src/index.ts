/**
 * @alipayhk/core: the Alipay HK gateway protocol (signing, XML replies, typed client), the
 * order→payment flows every adapter uses, and (under `@alipayhk/core/reconciliation`) the
 * reconciliation-file parser.
 */
export * from "./amount";
export * from "./errors";
export * from "./signing/index";
export * from "./xml";
export * from "./form";
export * from "./clock";
export * from "./transport";
export * from "./types";
export * from "./outcome";
export * from "./limits";
export * from "./doctor";
export { normaliseNotification } from "./notification";
export { AlipayHkClient, GATEWAY_PRESETS, type AlipayHkClientOptions, type GatewayPreset } from "./client";
export { ALIPAYHK_ENV, clientOptionsFromEnv, clientOptionsFromSettings, readInlineOrFile, type ClientSetting, type ClientSettingsOptions } from "./env";
export * from "./flows/index";
export * from "./events";
export * from "./policy";
export * from "./text";
export { checkSecondaryMerchant, secondaryMerchantFromEnv, secondaryMerchantJson, SECONDARY_MERCHANT_ENV } from "./secondary-merchant";
export {
  checkNotification,
  NOTIFICATION_FIELDS,
  NOTIFY_SUCCESS,
  type ExpectedRefund,
  type ExpectedTrade,
  type NotificationCheck,
  type NotificationCheckOptions,
  type NotificationRefusal,
} from "./notification-check";
