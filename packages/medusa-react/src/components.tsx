import { useState, type CSSProperties, type FormEvent } from "react";
import { defaultAlipayHkLabels, formatCountdown, type AlipayHkLabels } from "./messages";
import { useAlipayHkQrPayment, type UseAlipayHkQrPaymentOptions } from "./use-qr-payment";
import { useAlipayHkBarcodePayment, type UseAlipayHkBarcodePaymentOptions } from "./use-barcode-payment";

const box: CSSProperties = { display: "flex", flexDirection: "column", alignItems: "center", gap: "0.75rem", textAlign: "center" };
const button: CSSProperties = {
  padding: "0.6rem 1.2rem",
  borderRadius: 6,
  border: "1px solid currentColor",
  background: "transparent",
  cursor: "pointer",
  font: "inherit",
};
const alert: CSSProperties = { color: "#b42318" };

export interface AlipayHkQrPaymentProps extends UseAlipayHkQrPaymentOptions {
  /** Wording (defaults in English). */
  labels?: Partial<AlipayHkLabels>;
  /** Width and height of the QR image in px. Default 240. */
  size?: number;
  className?: string;
  style?: CSSProperties;
}

/**
 * The QR step of an Alipay HK checkout: the code, a countdown, and what happens next (paid →
 * `onPaid`, expired → a button for a new code via `onRenew`, errors in words). Unstyled apart from
 * layout; every element has a `data-alipayhk` attribute to style or test against.
 */
export function AlipayHkQrPayment({ labels, size = 240, className, style, ...options }: AlipayHkQrPaymentProps) {
  const t = { ...defaultAlipayHkLabels, ...labels };
  const qr = useAlipayHkQrPayment(options);
  return (
    <div className={className} style={{ ...box, ...style }} data-alipayhk="qr-payment" data-phase={qr.phase} aria-live="polite">
      {qr.phase === "loading" && <p data-alipayhk="loading">{t.loading}</p>}
      {qr.phase === "waiting" && (
        <>
          <p data-alipayhk="instructions">{t.scanToPay}</p>
          {qr.qrImage ? <img data-alipayhk="qr-image" src={qr.qrImage} width={size} height={size} alt="Alipay HK QR code" /> : null}
          {qr.expiresAt && (
            <p data-alipayhk="countdown" role="timer">
              {t.expiresIn(formatCountdown(qr.msLeft))}
            </p>
          )}
          {qr.qrCode && (
            <a data-alipayhk="open-in-app" href={qr.qrCode} rel="noopener noreferrer">
              {t.openInApp}
            </a>
          )}
          {qr.connectionProblem && <p data-alipayhk="connection-problem">{t.connectionProblem}</p>}
        </>
      )}
      {qr.phase === "expired" && (
        <>
          <p data-alipayhk="expired">{t.expired}</p>
          {options.onRenew && (
            <button type="button" style={button} data-alipayhk="renew" onClick={qr.renew}>
              {t.newCode}
            </button>
          )}
        </>
      )}
      {qr.phase === "renewing" && <p data-alipayhk="renewing">{t.renewing}</p>}
      {qr.phase === "completing" && <p data-alipayhk="completing">{t.paidPlacingOrder}</p>}
      {qr.phase === "completed" && <p data-alipayhk="completed">{t.orderPlaced}</p>}
      {qr.phase === "error" && (
        <>
          <p role="alert" style={alert} data-alipayhk="error">
            {qr.errorKind === "complete" ? t.completeFailed : qr.errorKind === "renew" ? t.renewFailed : t.loadFailed}
            {qr.error?.message ? <small data-alipayhk="error-detail"> ({qr.error.message})</small> : null}
          </p>
          <button type="button" style={button} data-alipayhk="retry" onClick={qr.errorKind === "renew" ? qr.renew : qr.retry}>
            {t.tryAgain}
          </button>
        </>
      )}
    </div>
  );
}

export interface AlipayHkBarcodeEntryProps extends UseAlipayHkBarcodePaymentOptions {
  labels?: Partial<AlipayHkLabels>;
  className?: string;
  style?: CSSProperties;
}

/**
 * Barcode entry for in-store payments: the cashier scans (a scanner types and presses Enter) or
 * types the code from the buyer's wallet; the component charges it and shows the outcome Medusa
 * recorded, with Alipay's reason in words when the code is refused.
 */
export function AlipayHkBarcodeEntry({ labels, className, style, ...options }: AlipayHkBarcodeEntryProps) {
  const t = { ...defaultAlipayHkLabels, ...labels };
  const barcode = useAlipayHkBarcodePayment(options);
  const [code, setCode] = useState("");
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void barcode.submit(code);
  };
  const done = barcode.phase === "paid" || barcode.phase === "unresolved";
  return (
    <div
      className={className}
      style={{ ...box, alignItems: "stretch", textAlign: "left", ...style }}
      data-alipayhk="barcode-entry"
      data-phase={barcode.phase}
      aria-live="polite"
    >
      {!done && (
        <form onSubmit={onSubmit} style={{ display: "flex", flexDirection: "column", gap: "0.5rem" }}>
          <label htmlFor="alipayhk-buyer-code">{t.barcodeLabel}</label>
          <input
            id="alipayhk-buyer-code"
            data-alipayhk="buyer-code"
            inputMode="numeric"
            autoComplete="off"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            disabled={barcode.phase === "charging"}
            aria-describedby="alipayhk-buyer-code-hint"
          />
          <small id="alipayhk-buyer-code-hint">{t.barcodeHint}</small>
          <button type="submit" style={button} data-alipayhk="charge" disabled={barcode.phase === "charging"}>
            {t.barcodeSubmit}
          </button>
        </form>
      )}
      {barcode.phase === "charging" && <p data-alipayhk="charging">{t.barcodeCharging}</p>}
      {barcode.phase === "paid" && <p data-alipayhk="paid">{t.barcodePaid(barcode.outcome?.payment_inst ?? null)}</p>}
      {barcode.phase === "unresolved" && <p data-alipayhk="unresolved">{t.barcodeUnresolved}</p>}
      {barcode.phase === "closed" && (
        <p role="alert" style={alert} data-alipayhk="closed">
          {t.barcodeClosed}
        </p>
      )}
      {(barcode.phase === "failed" || barcode.phase === "error") && (
        <p role="alert" style={alert} data-alipayhk="failure">
          {barcode.phase === "error" && !barcode.outcome && barcode.message?.startsWith("Enter the") ? t.barcodeInvalid : barcode.message}
          {barcode.failureCode ? <small data-alipayhk="failure-code"> ({barcode.failureCode})</small> : null}
        </p>
      )}
    </div>
  );
}
