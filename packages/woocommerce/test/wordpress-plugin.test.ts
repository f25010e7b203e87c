import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { pluginSignature } from "../src/plugin-auth.js";

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
    return execFileSync(php, ["-v"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .split("\n")[0];
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
    expect(files.map((f) => f.slice(pluginDir.length)).sort()).toEqual([
      "alipayhk-woocommerce.php",
      "build/blocks.asset.php",
      "includes/class-wc-alipayhk-blocks-support.php",
      "includes/class-wc-gateway-alipayhk.php",
      "uninstall.php",
    ]);
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

  it("has what a shop owner expects: headers, Blocks integration, no secret among the REST-visible settings, uninstall, readme", () => {
    const main = readFileSync(join(pluginDir, "alipayhk-woocommerce.php"), "utf8");
    expect(main).toMatch(/^ \* Requires Plugins:\s+woocommerce$/m);
    expect(main).toMatch(/^ \* WC tested up to:\s+9\.4$/m);
    expect(main).toMatch(/^ \* Text Domain:\s+alipayhk-woocommerce$/m);
    expect(main).toContain("declare_compatibility( 'cart_checkout_blocks', __FILE__, true )");
    expect(main).toContain("'woocommerce_blocks_payment_method_type_registration'");
    expect(main).toContain("load_plugin_textdomain( 'alipayhk-woocommerce'");
    const blocks = readFileSync(join(pluginDir, "includes/class-wc-alipayhk-blocks-support.php"), "utf8");
    expect(blocks).toContain("final class WC_AlipayHK_Blocks_Support extends AbstractPaymentMethodType");
    expect(blocks).toContain("protected $name = 'alipayhk';");
    expect(blocks).toContain("'build/blocks.js'");
    const gateway = readFileSync(join(pluginDir, "includes/class-wc-gateway-alipayhk.php"), "utf8");
    // The form fields are what GET /wc/v3/payment_gateways/alipayhk shows: no secret among them.
    const fields = gateway.slice(gateway.indexOf("$this->form_fields = array("), gateway.indexOf("public function admin_options"));
    expect([...fields.matchAll(/^\t\t\t'([a-z_]+)'\s+=> array\(/gm)].map((m) => m[1])).toEqual([
      "enabled",
      "title",
      "description",
      "bridge_url",
      "testmode",
      "debug",
    ]);
    expect(fields).not.toMatch(/'type'\s+=> 'password'/);
    expect(gateway).toContain("unset( $this->settings['api_token'] )"); // the 0.1 token is dropped on upgrade
    expect(gateway).not.toContain("Authorization"); // the secret never travels
    expect(gateway).toContain("public function get_transaction_url( $order )");
    const uninstall = readFileSync(join(pluginDir, "uninstall.php"), "utf8");
    expect(uninstall).toContain("defined( 'WP_UNINSTALL_PLUGIN' ) || exit;");
    expect(uninstall).toContain("delete_option( 'alipayhk_bridge_secret' );");
    const readme = readFileSync(join(pluginDir, "readme.txt"), "utf8");
    for (const header of ["Stable tag: 0.1.0", "Tested up to: 6.5", "Requires Plugins: woocommerce", "WC tested up to: 9.4"]) expect(readme).toContain(header);
    expect(main).toMatch(/^ \* Version:\s+0\.1\.0$/m);
  });

  it("signs requests exactly as the bridge verifies them (PHP sign() against TypeScript pluginSignature())", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-php-"));
    const script = join(dir, "sign.php");
    // Just enough WordPress/WooCommerce for the class file to load; the secret comes from the wp-config constant.
    writeFileSync(
      script,
      `<?php
define( 'ABSPATH', '/tmp/' );
define( 'ALIPAYHK_BRIDGE_SECRET', 'plugin-secret-0123456789abcdef-0123' );
class WC_Payment_Gateway {}
require ${JSON.stringify(join(pluginDir, "includes/class-wc-gateway-alipayhk.php"))};
$g = ( new ReflectionClass( 'WC_Gateway_AlipayHK' ) )->newInstanceWithoutConstructor();
echo $g->sign( 'v1', 1764590400, 'post', '/woocommerce/refund', '{"order_id":22,"refund_id":24,"amount":"2.30","reason":"size"}' ), "\n";
echo $g->sign( 'v1-link', 1764594000, 'GET', '/woocommerce/orders/22/payment', '' ), "\n";
`,
    );
    const res = spawnSync(php, [script], { encoding: "utf8" });
    expect(res.stderr).toBe("");
    const secret = "plugin-secret-0123456789abcdef-0123";
    expect(res.stdout.trim().split("\n")).toEqual([
      pluginSignature(secret, "v1", 1764590400, "POST", "/woocommerce/refund", '{"order_id":22,"refund_id":24,"amount":"2.30","reason":"size"}'),
      pluginSignature(secret, "v1-link", 1764594000, "GET", "/woocommerce/orders/22/payment", ""),
    ]);
  });

  it("reads the bridge's refusal from error.message, falling back to the top-level message (older bridges, refund answers) and the status", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipayhk-php-"));
    const script = join(dir, "message.php");
    writeFileSync(
      script,
      `<?php
define( 'ABSPATH', '/tmp/' );
class WC_Payment_Gateway {}
require ${JSON.stringify(join(pluginDir, "includes/class-wc-gateway-alipayhk.php"))};
foreach ( array(
  '{"error":{"code":"amount_mismatch","message":"amount: refund 9 is HKD 10.00, not HKD 50.00"},"message":"old place"}',
  '{"error":"unknown_refund","message":"refund_id: no refund 9"}',
  '{"status":"failed","partner_refund_id":null,"message":"Alipay refused: REFUND_AMT_RESTRICTION"}',
  '<html>Bad gateway</html>',
) as $body ) {
  echo WC_Gateway_AlipayHK::bridge_message( json_decode( $body, true ), 502 ), "\n";
}
`,
    );
    const res = spawnSync(php, [script], { encoding: "utf8" });
    expect(res.stderr).toBe("");
    expect(res.stdout.trim().split("\n")).toEqual([
      "amount: refund 9 is HKD 10.00, not HKD 50.00",
      "refund_id: no refund 9",
      "Alipay refused: REFUND_AMT_RESTRICTION",
      "HTTP 502",
    ]);
  });
});
