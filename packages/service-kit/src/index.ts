/**
 * What every alipayhk server shares: one HTTP layer (routes on find-my-way, raw bodies, one
 * {@link HttpError} answered as JSON) and settings declared once, from which `--help` is generated.
 */
export {
  HttpError,
  badRequest,
  badGateway,
  conflict,
  forbidden,
  notFound,
  tooLarge,
  unauthorized,
  unavailable,
  unprocessable,
  type HttpErrorBody,
} from "./errors";
export { bytes, errorReply, html, json, redirect, STREAMED, text, type Reply, type Streamed } from "./reply";
export { cookies, parseForm, parseJson, parseJsonObject, readBody } from "./body";
export { createHttpHandler, sendReply, type HttpHandler, type HttpLayerOptions, type Method, type RequestContext, type Route } from "./router";
export { listen, type Listening } from "./listen";
export {
  parse,
  readSettings,
  renderHelp,
  setting,
  SettingError,
  type HelpText,
  type ReadSettings,
  type Setting,
  type SettingsSpec,
  type SettingsValues,
} from "./settings";
export { alipaySettings } from "./alipay-settings";
