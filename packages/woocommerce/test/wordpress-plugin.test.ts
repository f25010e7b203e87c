import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pluginDir = fileURLToPath(new URL("../wordpress-plugin/alipayhk-woocommerce/", import.meta.url));
const php = process.env.PHP_BIN ?? "php";

function phpFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? phpFiles(path) : name.endsWith(".php") ? [path] : [];
  });
}

function phpVersion(): string | undefined {
  try {
    return execFileSync(php, ["-v"], { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n")[0];
  } catch {
    return undefined;
  }
}

describe("the WordPress plugin", () => {
  it("every PHP file passes php -l", () => {
    const version = phpVersion();
    if (!version) {
      throw new Error(`php-cli is required for this test and was not found as ${JSON.stringify(php)} (Debian: apt-get install -y php-cli; or set PHP_BIN)`);
    }
    const files = phpFiles(pluginDir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const res = spawnSync(php, ["-l", file], { encoding: "utf8" });
      expect(`${res.stdout}${res.stderr}`.trim(), file).toMatch(/^No syntax errors detected/);
      expect(res.status, file).toBe(0);
    }
  });

  it("declares HPOS compatibility and registers the alipayhk gateway with refunds support", () => {
    const main = readFileSync(join(pluginDir, "alipayhk-woocommerce.php"), "utf8");
    expect(main).toContain("declare_compatibility( 'custom_order_tables', __FILE__, true )");
    expect(main).toContain("woocommerce_payment_gateways");
    const gateway = readFileSync(join(pluginDir, "includes/class-wc-gateway-alipayhk.php"), "utf8");
    expect(gateway).toContain("$this->id                 = 'alipayhk';");
    expect(gateway).toContain("array( 'products', 'refunds' )");
    // process_payment goes to the hosted page with the order key; process_refund calls the bridge.
    expect(gateway).toContain("'/pay/'");
    expect(gateway).toContain("'?key='");
    expect(gateway).toContain("'/woocommerce/refund'");
    // HPOS: no post meta access anywhere in the plugin.
    for (const file of phpFiles(pluginDir)) expect(readFileSync(file, "utf8")).not.toMatch(/get_post_meta|update_post_meta/);
  });
});
