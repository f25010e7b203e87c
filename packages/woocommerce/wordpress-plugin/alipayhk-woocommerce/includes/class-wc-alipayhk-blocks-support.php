<?php
/**
 * The "alipayhk" payment method in the block-based Cart & Checkout.
 *
 * @package AlipayHK_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType;

/**
 * Registers build/blocks.js (which calls registerPaymentMethod) and hands it the gateway's title,
 * description and supported features as `alipayhk_data`. Placing the order runs the gateway's
 * process_payment(): the buyer is redirected to the bridge's hosted QR page, as in the classic checkout.
 */
final class WC_AlipayHK_Blocks_Support extends AbstractPaymentMethodType {

	/**
	 * Payment method name, the gateway id.
	 *
	 * @var string
	 */
	protected $name = 'alipayhk';

	/**
	 * The gateway instance, when WooCommerce has loaded it.
	 *
	 * @var WC_Gateway_AlipayHK|null
	 */
	private $gateway = null;

	/**
	 * Loads the gateway's settings.
	 */
	public function initialize() {
		$this->settings = get_option( 'woocommerce_alipayhk_settings', array() );
		$gateways       = function_exists( 'WC' ) && WC()->payment_gateways() ? WC()->payment_gateways()->payment_gateways() : array();
		$this->gateway  = isset( $gateways[ $this->name ] ) ? $gateways[ $this->name ] : null;
	}

	/**
	 * Active when the gateway is enabled and the bridge is configured.
	 *
	 * @return bool
	 */
	public function is_active() {
		return null !== $this->gateway && 'yes' === $this->gateway->enabled && $this->gateway->is_configured();
	}

	/**
	 * The script that registers the method with wc.wcBlocksRegistry.
	 *
	 * @return string[]
	 */
	public function get_payment_method_script_handles() {
		$dir   = plugin_dir_path( ALIPAYHK_WC_PLUGIN_FILE );
		$asset = file_exists( $dir . 'build/blocks.asset.php' )
			? require $dir . 'build/blocks.asset.php'
			: array(
				'dependencies' => array( 'wc-blocks-registry', 'wc-settings', 'wp-element', 'wp-html-entities', 'wp-i18n' ),
				'version'      => ALIPAYHK_WC_VERSION,
			);
		wp_register_script(
			'alipayhk-blocks',
			plugins_url( 'build/blocks.js', ALIPAYHK_WC_PLUGIN_FILE ),
			$asset['dependencies'],
			$asset['version'],
			true
		);
		if ( function_exists( 'wp_set_script_translations' ) ) {
			wp_set_script_translations( 'alipayhk-blocks', 'alipayhk-woocommerce', $dir . 'languages' );
		}
		return array( 'alipayhk-blocks' );
	}

	/**
	 * Data for the script, read with getSetting( 'alipayhk_data' ).
	 *
	 * @return array
	 */
	public function get_payment_method_data() {
		$supports = array( 'products' );
		if ( null !== $this->gateway ) {
			$supports = array_values( array_filter( $this->gateway->supports, array( $this->gateway, 'supports' ) ) );
		}
		return array(
			'title'       => $this->get_setting( 'title', __( 'Alipay HK', 'alipayhk-woocommerce' ) ),
			'description' => null !== $this->gateway ? $this->gateway->get_description() : $this->get_setting( 'description' ),
			'supports'    => $supports,
			'currencies'  => array( 'HKD' ),
			'testmode'    => 'yes' === $this->get_setting( 'testmode', 'no' ),
		);
	}
}
