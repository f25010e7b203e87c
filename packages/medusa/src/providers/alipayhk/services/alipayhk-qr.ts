import { AlipayHkBase } from "../core/alipayhk-base";

/** Online checkout: the shopper scans a QR code (Alipay `alipay.acquire.precreate`). */
export class AlipayHkQrService extends AlipayHkBase {
  static override identifier = "alipayhk-qr";
}
