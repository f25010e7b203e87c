<?php
/**
 * Plugin Name:          Alipay HK for WooCommerce (bridge gateway)
 * Description:          Registers the "alipayhk" payment gateway for the classic and the block-based checkout. Payment happens on the alipayhk-woo bridge's hosted QR page; refunds are executed by the bridge. All Alipay logic lives in the bridge.
 * Version:              0.1.0
 * Requires at least:    6.1
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * WC requires at least: 7.1
 * WC tested up to:      9.4
 * License:              MIT
 * Text Domain:          alipayhk-woocommerce
 * Domain Path:          /languages
 *
 * @package AlipayHK_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

define( 'ALIPAYHK_WC_PLUGIN_FILE', __FILE__ );
define( 'ALIPAYHK_WC_VERSION', '0.1.0' );

/*
 * HPOS: this plugin only touches orders through the WooCommerce CRUD API (wc_get_order(),
 * $order->get_*()), never post meta, so it is compatible with custom order tables.
 * Cart & Checkout blocks: the gateway registers a Blocks payment method (see below).
 */
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', __FILE__, true );
		}
	}
);

add_action(
	'init',
	static function () {
		load_plugin_textdomain( 'alipayhk-woocommerce', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
	}
);

add_action(
	'plugins_loaded',
	static function () {
		if ( ! class_exists( 'WC_Payment_Gateway' ) ) {
			return; // WooCommerce is not active.
		}
		require_once __DIR__ . '/includes/class-wc-gateway-alipayhk.php';
		add_filter(
			'woocommerce_payment_gateways',
			static function ( $gateways ) {
				$gateways[] = 'WC_Gateway_AlipayHK';
				return $gateways;
			}
		);
	}
);

/*
 * The block-based checkout only offers payment methods registered with its own registry.
 */
add_action(
	'woocommerce_blocks_loaded',
	static function () {
		if ( ! class_exists( \Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType::class ) ) {
			return;
		}
		require_once __DIR__ . '/includes/class-wc-alipayhk-blocks-support.php';
		add_action(
			'woocommerce_blocks_payment_method_type_registration',
			static function ( $registry ) {
				$registry->register( new WC_AlipayHK_Blocks_Support() );
			}
		);
	}
);

/*
 * WooCommerce creates the refund object before it calls process_refund(), and passes only the
 * order id, amount and reason. Remember the refund's id so the bridge can use it as the
 * idempotency key (one WooCommerce refund = one Alipay refund, whatever retries happen).
 */
add_action(
	'woocommerce_create_refund',
	static function ( $refund ) {
		if ( is_object( $refund ) && method_exists( $refund, 'get_id' ) ) {
			$GLOBALS['alipayhk_wc_current_refund_id'] = (int) $refund->get_id();
		}
	},
	10,
	1
);
