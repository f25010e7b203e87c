import { AlipayHkBase } from "../core/alipayhk-base";

/** In-store/POS: the cashier scans the buyer's payment code (Alipay `alipay.acquire.spot.pay`). */
export class AlipayHkBarcodeService extends AlipayHkBase {
  static override identifier = "alipayhk-barcode";
}
