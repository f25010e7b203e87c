/** Where the Medusa backend is and which publishable key to send. */
export interface StorefrontConfig {
  backendUrl: string;
  publishableKey: string;
}

/** `/config.json` (written next to the built app by whoever serves it) wins over the build-time env. */
export async function loadConfig(): Promise<StorefrontConfig> {
  const fromFile: Partial<StorefrontConfig> = await fetch("/config.json", { cache: "no-store" })
    .then((r) => (r.ok ? (r.json() as Promise<Partial<StorefrontConfig>>) : {}))
    .catch(() => ({}));
  const backendUrl = fromFile.backendUrl ?? import.meta.env.VITE_MEDUSA_BACKEND_URL;
  const publishableKey = fromFile.publishableKey ?? import.meta.env.VITE_MEDUSA_PUBLISHABLE_KEY;
  if (!backendUrl) throw new Error("VITE_MEDUSA_BACKEND_URL is not set (the Medusa backend, e.g. http://localhost:9000)");
  if (!publishableKey) throw new Error("VITE_MEDUSA_PUBLISHABLE_KEY is not set (the key `pnpm seed` prints in apps/medusa-store)");
  return { backendUrl, publishableKey };
}
