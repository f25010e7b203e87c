import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `vite` serves the app on :8000 (the Medusa store's default STORE_CORS origin). The backend URL and
// publishable key come from `public/config.json` when present (the browser test writes its own),
// else from VITE_MEDUSA_BACKEND_URL / VITE_MEDUSA_PUBLISHABLE_KEY (.env).
export default defineConfig({
  plugins: [react()],
  server: { port: 8000, strictPort: true },
  preview: { port: 8000, strictPort: true },
  build: { outDir: "dist", sourcemap: true },
});
