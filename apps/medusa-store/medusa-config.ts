import { loadEnv, defineConfig, Modules } from "@medusajs/framework/utils";

loadEnv(process.env.NODE_ENV || "development", process.cwd());

/**
 * A minimal store taking Alipay HK. Every Alipay setting comes from the environment (see
 * `.env.template`); without any, it talks to the local sandbox gateway (`pnpm exec alipayhk-sandbox`,
 * port 4010) with the sandbox's public test partner and MD5 key, never to Alipay.
 */
const backendUrl = process.env.MEDUSA_BACKEND_URL ?? `http://localhost:${process.env.PORT ?? 9000}`;
const alipayhkOptions = {
  partner: process.env.ALIPAYHK_PARTNER ?? "2088101122136241",
  signType: (process.env.ALIPAYHK_SIGN_TYPE ?? "MD5") as "MD5" | "RSA" | "RSA2",
  md5Key: process.env.ALIPAYHK_MD5_KEY ?? (process.env.ALIPAYHK_SIGN_TYPE ? undefined : "0123456789abcdefghijklmnopqrstuv"),
  privateKey: process.env.ALIPAYHK_PRIVATE_KEY,
  alipayPublicKey: process.env.ALIPAYHK_PUBLIC_KEY,
  gateway: process.env.ALIPAYHK_GATEWAY ?? "http://127.0.0.1:4010/gateway.do",
  notifyUrl: process.env.ALIPAYHK_NOTIFY_URL ?? `${backendUrl}/hooks/alipayhk/alipayhk-qr_alipayhk`,
};

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/alipayhk_medusa_store",
    http: {
      storeCors: process.env.STORE_CORS ?? "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS ?? "http://localhost:9000",
      authCors: process.env.AUTH_CORS ?? "http://localhost:8000,http://localhost:9000",
      jwtSecret: process.env.JWT_SECRET || "supersecret",
      cookieSecret: process.env.COOKIE_SECRET || "supersecret",
    },
  },
  admin: { disable: process.env.MEDUSA_ADMIN !== "true" },
  plugins: [{ resolve: "@alipayhk/medusa", options: {} }],
  modules: [
    {
      resolve: "@medusajs/medusa/payment",
      key: Modules.PAYMENT,
      options: {
        providers: [
          {
            resolve: "@alipayhk/medusa/providers/alipayhk",
            id: "alipayhk",
            options: alipayhkOptions,
          },
        ],
      },
    },
  ],
});
