import { medusaIntegrationTestRunner } from "@medusajs/test-utils";

jest.setTimeout(240_000);
process.env.ALIPAYHK_MD5_KEY ??= "boot-test-md5-key";

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    it("boots with both Alipay HK providers and the notify route", async () => {
      const health = await api.get("/health");
      expect(health.status).toBe(200);

      const payment = getContainer().resolve("payment");
      const providers = await payment.listPaymentProviders({});
      expect(providers.map((p: { id: string }) => p.id)).toEqual(
        expect.arrayContaining(["pp_alipayhk-qr_alipayhk", "pp_alipayhk-barcode_alipayhk"])
      );

      const notify = await api.post("/hooks/alipayhk/alipayhk-qr_alipayhk", "trade_status=TRADE_SUCCESS", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        validateStatus: () => true,
      });
      expect(notify.status).toBe(200);
      expect(notify.data).toBe("success");
    });
  },
});
