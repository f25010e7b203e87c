import { medusaIntegrationTestRunner } from "@medusajs/test-utils";

jest.setTimeout(240_000);
process.env.ALIPAYHK_MD5_KEY ??= "0123456789abcdefghijklmnopqrstuv";

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
      // Unsigned: rejected before anything is read, and never answered `success`.
      expect(notify.status).toBe(400);
      expect(notify.data).toBe("fail");
    });
  },
});
