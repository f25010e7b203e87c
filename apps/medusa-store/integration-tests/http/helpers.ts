import { createServer } from "node:net";
import type { MedusaContainer } from "@medusajs/framework/types";
import { createUserAccountWorkflow } from "@medusajs/medusa/core-flows";

/** A free TCP port, so the app's notify URL is known before it boots. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Api = {
  post: (url: string, body?: unknown, config?: unknown) => Promise<{ data: any }>;
};

/**
 * An admin user the way a shop owner gets one (email + password through the auth routes), and the
 * bearer headers for the admin API.
 */
export async function adminHeaders(api: Api, container: MedusaContainer): Promise<{ headers: Record<string, string> }> {
  const email = "owner@alipayhk.test";
  const password = "a-long-test-password";
  const registered = await api.post("/auth/user/emailpass/register", { email, password });
  const claims = JSON.parse(Buffer.from(String(registered.data.token).split(".")[1]!, "base64url").toString("utf8"));
  await createUserAccountWorkflow(container).run({
    input: { authIdentityId: claims.auth_identity_id, userData: { email } },
  });
  const login = await api.post("/auth/user/emailpass", { email, password });
  return { headers: { authorization: `Bearer ${login.data.token}` } };
}

/** Waits until `check` returns a value (not undefined); fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
