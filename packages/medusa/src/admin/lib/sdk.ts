import Medusa from "@medusajs/js-sdk";

// Medusa's admin build (`medusa build`, `medusa develop`) defines these for the dashboard from
// `admin.backendUrl`, ADMIN_AUTH_TYPE and ADMIN_JWT_TOKEN_STORAGE_KEY; plugin widgets are bundled
// by the same build, so they see the same values. `typeof` keeps an older build that does not
// define them working (same origin, session cookie).
declare const __BACKEND_URL__: string | undefined;
declare const __AUTH_TYPE__: "session" | "jwt" | undefined;
declare const __JWT_TOKEN_STORAGE_KEY__: string | undefined;

const backendUrl = typeof __BACKEND_URL__ === "string" && __BACKEND_URL__ ? __BACKEND_URL__ : "/";
const authType = typeof __AUTH_TYPE__ === "string" && __AUTH_TYPE__ === "jwt" ? "jwt" : "session";
const jwtTokenStorageKey = typeof __JWT_TOKEN_STORAGE_KEY__ === "string" && __JWT_TOKEN_STORAGE_KEY__ ? __JWT_TOKEN_STORAGE_KEY__ : undefined;

/**
 * The admin API client for this plugin's widgets, configured like the dashboard's own: the same
 * backend (a separately hosted admin works), the same auth (session cookie or the JWT the dashboard
 * stored at login).
 */
export const sdk = new Medusa({
  baseUrl: backendUrl,
  auth: { type: authType, jwtTokenStorageKey },
});
