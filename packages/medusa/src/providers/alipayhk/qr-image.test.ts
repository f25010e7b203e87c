import { describe, expect, it } from "vitest";
import { qrImageDataUrl } from "./qr-image";

describe("qrImageDataUrl", () => {
  it("renders the payload as an SVG data URL", async () => {
    const url = await qrImageDataUrl("https://qr.alipay.com/bax01234");
    expect(url.startsWith("data:image/svg+xml;base64,")).toBe(true);
    const svg = Buffer.from(url.split(",")[1]!, "base64").toString("utf8");
    expect(svg).toMatch(/^<svg[^>]*viewBox/);
    expect(svg).toContain("<path");
  });
});
