import { defineMiddlewares } from "@medusajs/framework/http";

/**
 * Alipay posts its notification as `application/x-www-form-urlencoded`; keep the raw bytes so the
 * signature is checked on exactly what was sent, not on a re-serialised object.
 */
export default defineMiddlewares({
  routes: [
    {
      matcher: "/hooks/alipayhk/:provider",
      method: ["POST"],
      bodyParser: { preserveRawBody: true },
    },
  ],
});
