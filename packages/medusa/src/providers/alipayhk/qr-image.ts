import QRCode from "qrcode";

/**
 * The QR payload as a ready-to-render image: an SVG data URL a storefront can put straight into
 * `<img src>`. Error correction M and a 2-module margin scan well from a phone screen.
 */
export async function qrImageDataUrl(payload: string): Promise<string> {
  const svg = await QRCode.toString(payload, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
}
