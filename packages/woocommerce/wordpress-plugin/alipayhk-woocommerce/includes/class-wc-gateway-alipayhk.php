<?php
/**
 * The thin "alipayhk" gateway: checkout redirects to the bridge's hosted QR page, and
 * "Refund via Alipay HK" asks the bridge to execute the refund, synchronously.
 *
 * @package AlipayHK_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Gateway class. No Alipay protocol code here: the bridge signs, verifies and talks to Alipay.
 */
class WC_Gateway_AlipayHK extends WC_Payment_Gateway {

	/**
	 * Bridge base URL (PUBLIC_URL of alipayhk-woo), without trailing slash.
	 *
	 * @var string
	 */
	protected $bridge_url = '';

	/**
	 * Bearer token shared with the bridge (BRIDGE_API_TOKEN).
	 *
	 * @var string
	 */
	protected $api_token = '';

	/**
	 * Sets up the gateway.
	 */
	public function __construct() {
		$this->id                 = 'alipayhk';
		$this->method_title       = __( 'Alipay HK', 'alipayhk-woocommerce' );
		$this->method_description = __( 'Alipay HK Transaction QR Code through the alipayhk-woo bridge.', 'alipayhk-woocommerce' );
		$this->has_fields         = false;
		$this->supports           = array( 'products', 'refunds' );

		$this->init_form_fields();
		$this->init_settings();

		$this->title       = $this->get_option( 'title' );
		$this->description = $this->get_option( 'description' );
		$this->bridge_url  = untrailingslashit( (string) $this->get_option( 'bridge_url' ) );
		$this->api_token   = (string) $this->get_option( 'api_token' );

		add_action( 'woocommerce_update_options_payment_gateways_' . $this->id, array( $this, 'process_admin_options' ) );
	}

	/**
	 * Settings shown under WooCommerce > Settings > Payments > Alipay HK.
	 */
	public function init_form_fields() {
		$this->form_fields = array(
			'enabled'     => array(
				'title'   => __( 'Enable/Disable', 'alipayhk-woocommerce' ),
				'type'    => 'checkbox',
				'label'   => __( 'Enable Alipay HK', 'alipayhk-woocommerce' ),
				'default' => 'no',
			),
			'title'       => array(
				'title'   => __( 'Title', 'alipayhk-woocommerce' ),
				'type'    => 'text',
				'default' => __( 'Alipay HK', 'alipayhk-woocommerce' ),
			),
			'description' => array(
				'title'   => __( 'Description', 'alipayhk-woocommerce' ),
				'type'    => 'textarea',
				'default' => __( 'Scan a QR code with AlipayHK or Alipay to pay.', 'alipayhk-woocommerce' ),
			),
			'bridge_url'  => array(
				'title'       => __( 'Bridge URL', 'alipayhk-woocommerce' ),
				'type'        => 'text',
				'description' => __( 'PUBLIC_URL of the alipayhk-woo bridge, e.g. https://pay.example.com', 'alipayhk-woocommerce' ),
				'default'     => '',
			),
			'api_token'   => array(
				'title'       => __( 'Bridge API token', 'alipayhk-woocommerce' ),
				'type'        => 'password',
				'description' => __( 'The BRIDGE_API_TOKEN configured on the bridge.', 'alipayhk-woocommerce' ),
				'default'     => '',
			),
		);
	}

	/**
	 * Only offered for HKD carts and when the bridge is configured.
	 *
	 * @return bool
	 */
	public function is_available() {
		if ( '' === $this->bridge_url || '' === $this->api_token ) {
			return false;
		}
		if ( 'HKD' !== get_woocommerce_currency() ) {
			return false;
		}
		return parent::is_available();
	}

	/**
	 * Checkout: the order stays "pending"; the customer goes to the bridge's hosted QR page, which
	 * checks the order key, shows the QR and returns to the thank-you page once paid.
	 *
	 * @param int $order_id Order id.
	 * @return array
	 */
	public function process_payment( $order_id ) {
		$order = wc_get_order( $order_id );
		if ( ! $order ) {
			wc_add_notice( __( 'Order not found.', 'alipayhk-woocommerce' ), 'error' );
			return array( 'result' => 'failure' );
		}
		$url = $this->bridge_url . '/pay/' . rawurlencode( (string) $order->get_id() ) . '?key=' . rawurlencode( $order->get_order_key() );
		return array(
			'result'   => 'success',
			'redirect' => $url,
		);
	}

	/**
	 * "Refund via Alipay HK": the bridge executes the refund at Alipay before this returns.
	 * On failure WooCommerce deletes its refund and shows the message, so nothing is recorded
	 * that did not happen.
	 *
	 * @param int        $order_id Order id.
	 * @param float|null $amount   Amount.
	 * @param string     $reason   Reason.
	 * @return bool|WP_Error
	 */
	public function process_refund( $order_id, $amount = null, $reason = '' ) {
		$refund_id = isset( $GLOBALS['alipayhk_wc_current_refund_id'] ) ? (int) $GLOBALS['alipayhk_wc_current_refund_id'] : 0;
		if ( $refund_id <= 0 ) {
			return new WP_Error( 'alipayhk_refund', __( 'Alipay HK: could not determine the WooCommerce refund id.', 'alipayhk-woocommerce' ) );
		}
		$response = wp_remote_post(
			$this->bridge_url . '/woocommerce/refund',
			array(
				'timeout' => 60,
				'headers' => array(
					'Authorization' => 'Bearer ' . $this->api_token,
					'Content-Type'  => 'application/json',
				),
				'body'    => wp_json_encode(
					array(
						'order_id'  => (int) $order_id,
						'refund_id' => $refund_id,
						'amount'    => wc_format_decimal( $amount, 2 ),
						'reason'    => (string) $reason,
					)
				),
			)
		);
		if ( is_wp_error( $response ) ) {
			return new WP_Error( 'alipayhk_refund', __( 'Alipay HK: the bridge could not be reached: ', 'alipayhk-woocommerce' ) . $response->get_error_message() );
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 === $code && is_array( $body ) && isset( $body['status'] ) && 'succeeded' === $body['status'] ) {
			return true;
		}
		$message = is_array( $body ) && isset( $body['message'] ) ? (string) $body['message'] : 'HTTP ' . $code;
		return new WP_Error( 'alipayhk_refund', __( 'Alipay HK refund not executed: ', 'alipayhk-woocommerce' ) . $message );
	}
}
