import { loadEnv, defineConfig, Modules } from "@medusajs/framework/utils";
import { alipayHkOptionsFromEnv } from "@alipayhk/medusa/lib/options-from-env";

loadEnv(process.env.NODE_ENV || "development", process.cwd());

/**
 * A minimal store taking Alipay HK. Every Alipay setting comes from the `ALIPAYHK_*` environment
 * variables (see `.env.template`), read through the plugin's `alipayHkOptionsFromEnv`, which uses
 * core's one table of settings (the same names the CLI and the other adapters read). Without any,
 * it talks to the local sandbox gateway (`pnpm exec alipayhk-sandbox`, port 4010) with the
 * sandbox's public test partner and MD5 key, never to Alipay.
 */
const backendUrl = process.env.MEDUSA_BACKEND_URL ?? `http://localhost:${process.env.PORT ?? 9000}`;
const usesRsa = Boolean(process.env.ALIPAYHK_SIGN_TYPE || process.env.ALIPAYHK_PRIVATE_KEY);
const alipayhkOptions = alipayHkOptionsFromEnv(process.env, {
  defaults: {
    ALIPAYHK_PARTNER: "2088101122136241",
    ...(usesRsa ? {} : { ALIPAYHK_MD5_KEY: "0123456789abcdefghijklmnopqrstuv" }),
    ALIPAYHK_GATEWAY: "http://127.0.0.1:4010/gateway.do",
    ALIPAYHK_NOTIFY_URL: `${backendUrl}/hooks/alipayhk/alipayhk-qr_alipayhk`,
  },
});

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
