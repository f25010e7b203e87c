import { ModuleProvider, Modules } from "@medusajs/framework/utils";
import { AlipayHkBarcodeService } from "./services/alipayhk-barcode";
import { AlipayHkQrService } from "./services/alipayhk-qr";

export default ModuleProvider(Modules.PAYMENT, {
  services: [AlipayHkQrService, AlipayHkBarcodeService],
});
