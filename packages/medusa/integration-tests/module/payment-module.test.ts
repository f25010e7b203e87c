import path from "node:path";
import { createRequire } from "node:module";
import { Modules } from "@medusajs/framework/utils";
import type { IPaymentModuleService } from "@medusajs/framework/types";
import { moduleIntegrationTestRunner } from "@medusajs/test-utils";
import alipayhk from "../../src/providers/alipayhk";
import { MODULE_TEST_DB } from "./db";

const require = createRequire(import.meta.url);
// A filesystem path, so the runner finds the payment module's models and migrations.
const paymentModulePath = path.resolve(path.dirname(require.resolve("@medusajs/payment")), "..");

const options = {
  partner: "2088000000000001",
  signType: "MD5",
  md5Key: "module-test-md5-key",
};

moduleIntegrationTestRunner<IPaymentModuleService>({
  moduleName: Modules.PAYMENT,
  resolve: paymentModulePath,
  dbName: MODULE_TEST_DB,
  moduleOptions: {
    providers: [
      { resolve: alipayhk, id: "alipayhk", options },
    ],
  },
  testSuite: ({ service }) => {
    it("registers both Alipay HK providers", async () => {
      const providers = await service.listPaymentProviders();
      expect(providers.map((p) => p.id).sort()).toEqual([
        "pp_alipayhk-barcode_alipayhk",
        "pp_alipayhk-qr_alipayhk",
        "pp_system_default",
      ]);
    });
  },
});
