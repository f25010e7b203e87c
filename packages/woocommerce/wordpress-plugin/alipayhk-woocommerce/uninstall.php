<?php
/**
 * Removes what the plugin stored: the gateway settings and the bridge secret. Orders, their
 * notes and refunds stay (they are the shop's records). The bridge's own data lives beside the
 * bridge (its DATA_DIR) and is not touched.
 *
 * @package AlipayHK_WooCommerce
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'woocommerce_alipayhk_settings' );
delete_option( 'alipayhk_bridge_secret' );
