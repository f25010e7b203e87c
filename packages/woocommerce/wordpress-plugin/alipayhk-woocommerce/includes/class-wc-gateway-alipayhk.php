<?php
/**
 * The thin "alipayhk" gateway: checkout (classic or blocks) redirects to the bridge's hosted QR
 * page, and "Refund via Alipay HK" asks the bridge to execute the refund, synchronously.
 *
 * @package AlipayHK_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Gateway class. No Alipay protocol code here: the bridge signs, verifies and talks to Alipay.
 *
 * The plugin authenticates to the bridge with an HMAC-SHA256 signature over each request, keyed
 * by the bridge secret (the bridge's WOO_PLUGIN_SECRET). The secret is never sent, never a
 * gateway setting (so GET /wc/v3/payment_gateways/alipayhk cannot show it), and never shown again
 * once saved: it comes from the ALIPAYHK_BRIDGE_SECRET constant in wp-config.php, or from the
 * non-autoloaded option alipayhk_bridge_secret written by the settings page.
 */
class WC_Gateway_AlipayHK extends WC_Payment_Gateway {

	/** Option that holds the bridge secret when wp-config.php does not define it. */
	const SECRET_OPTION = 'alipayhk_bridge_secret';

	/** Logger source (WooCommerce > Status > Logs). */
	const LOG_SOURCE = 'alipayhk';

	/**
	 * Bridge base URL (PUBLIC_URL of alipayhk-woo), without trailing slash.
	 *
	 * @var string
	 */
	protected $bridge_url = '';

	/**
	 * Test mode: offered only to shop managers, orders are marked as test orders.
	 *
	 * @var bool
	 */
	protected $testmode = false;

	/**
	 * Debug log on.
	 *
	 * @var bool
	 */
	protected $debug = false;

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
		$this->drop_legacy_token();

		$this->title       = $this->get_option( 'title' );
		$this->description = $this->get_option( 'description' );
		$this->bridge_url  = untrailingslashit( (string) $this->get_option( 'bridge_url' ) );
		$this->testmode    = 'yes' === $this->get_option( 'testmode', 'no' );
		$this->debug       = 'yes' === $this->get_option( 'debug', 'no' );
		if ( $this->testmode ) {
			/* translators: %s: the payment method description */
			$this->description = trim( sprintf( __( 'TEST MODE: only shop managers see this method. %s', 'alipayhk-woocommerce' ), $this->description ) );
		}

		add_action( 'woocommerce_update_options_payment_gateways_' . $this->id, array( $this, 'process_admin_options' ) );
	}

	/**
	 * Settings shown under WooCommerce > Settings > Payments > Alipay HK. The bridge secret is
	 * deliberately not one of them (see admin_options()).
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
			'testmode'    => array(
				'title'       => __( 'Test mode', 'alipayhk-woocommerce' ),
				'type'        => 'checkbox',
				'label'       => __( 'Offer Alipay HK only to logged-in shop managers', 'alipayhk-woocommerce' ),
				'description' => __( 'Use it while the bridge points at the Alipay sandbox (ALIPAYHK_GATEWAY=alipay-sandbox), before going live.', 'alipayhk-woocommerce' ),
				'default'     => 'no',
			),
			'debug'       => array(
				'title'       => __( 'Debug log', 'alipayhk-woocommerce' ),
				'type'        => 'checkbox',
				'label'       => __( 'Log calls to the bridge', 'alipayhk-woocommerce' ),
				'description' => __( 'Under WooCommerce > Status > Logs, source "alipayhk". Secrets are never logged.', 'alipayhk-woocommerce' ),
				'default'     => 'no',
			),
		);
	}

	/**
	 * The settings form, then the bridge secret: a write-only field that never shows the value.
	 */
	public function admin_options() {
		parent::admin_options();
		$from_constant = defined( 'ALIPAYHK_BRIDGE_SECRET' );
		$is_set        = '' !== $this->bridge_secret();
		echo '<table class="form-table"><tr valign="top"><th scope="row" class="titledesc"><label for="alipayhk_bridge_secret">';
		echo esc_html__( 'Bridge secret', 'alipayhk-woocommerce' );
		echo '</label></th><td class="forminp"><fieldset>';
		if ( $from_constant ) {
			echo '<p>' . esc_html__( 'Set in wp-config.php (ALIPAYHK_BRIDGE_SECRET).', 'alipayhk-woocommerce' ) . '</p>';
		} else {
			printf(
				'<input class="input-text regular-input" type="password" name="alipayhk_bridge_secret" id="alipayhk_bridge_secret" value="" autocomplete="new-password" placeholder="%s" />',
				esc_attr( $is_set ? __( 'saved; leave empty to keep it', 'alipayhk-woocommerce' ) : '' )
			);
		}
		echo '<p class="description">' . esc_html__( 'The WOO_PLUGIN_SECRET configured on the bridge. It signs every call to the bridge and is never sent, shown or readable through the REST API.', 'alipayhk-woocommerce' ) . '</p>';
		echo '</fieldset></td></tr></table>';
	}

	/**
	 * Saves the form fields, and the bridge secret when one was typed (WooCommerce has checked
	 * the settings page nonce before it calls this).
	 *
	 * @return bool
	 */
	public function process_admin_options() {
		$saved = parent::process_admin_options();
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by WC_Admin_Settings::save().
		if ( ! defined( 'ALIPAYHK_BRIDGE_SECRET' ) && isset( $_POST['alipayhk_bridge_secret'] ) ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Missing, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
			$secret = trim( (string) wp_unslash( $_POST['alipayhk_bridge_secret'] ) );
			if ( '' !== $secret ) {
				update_option( self::SECRET_OPTION, $secret, false );
			}
		}
		return $saved;
	}

	/**
	 * Earlier versions kept a bearer token among the gateway settings, where any REST key with
	 * read access could read it. Drop it.
	 */
	private function drop_legacy_token() {
		if ( isset( $this->settings['api_token'] ) ) {
			unset( $this->settings['api_token'] );
			update_option( $this->get_option_key(), $this->settings, 'yes' );
		}
	}

	/**
	 * The bridge secret: the wp-config.php constant, else the option.
	 *
	 * @return string
	 */
	private function bridge_secret() {
		if ( defined( 'ALIPAYHK_BRIDGE_SECRET' ) ) {
			return (string) constant( 'ALIPAYHK_BRIDGE_SECRET' );
		}
		return (string) get_option( self::SECRET_OPTION, '' );
	}

	/**
	 * Both the bridge URL and the bridge secret are set.
	 *
	 * @return bool
	 */
	public function is_configured() {
		return '' !== $this->bridge_url && '' !== $this->bridge_secret();
	}

	/**
	 * The bridge's explanation in a decoded JSON reply: `error.message` of its error body
	 * (`{"error":{"code","message"},"message"}`), else the top-level `message` (bridges before
	 * 0.2 and its refund answers), else the HTTP status.
	 *
	 * @param mixed $data Decoded JSON body.
	 * @param int   $code HTTP status.
	 * @return string One line, never a secret (the bridge sends none).
	 */
	public static function bridge_message( $data, $code ) {
		if ( is_array( $data ) && isset( $data['error'] ) && is_array( $data['error'] ) && isset( $data['error']['message'] ) && is_string( $data['error']['message'] ) ) {
			return $data['error']['message'];
		}
		if ( is_array( $data ) && isset( $data['message'] ) && is_scalar( $data['message'] ) ) {
			return (string) $data['message'];
		}
		return 'HTTP ' . (int) $code;
	}

	/**
	 * HMAC-SHA256 over one request to the bridge: kind, timestamp, method, path (relative to the
	 * bridge URL) and the SHA-256 of the body, one per line. The bridge recomputes it.
	 *
	 * @param string $kind      "v1" for a request, "v1-link" for a link with an expiry.
	 * @param int    $timestamp Unix seconds (request time, or the link's expiry).
	 * @param string $method    HTTP method.
	 * @param string $path      Path such as /woocommerce/refund.
	 * @param string $body      Request body.
	 * @return string Lowercase hex.
	 */
	public function sign( $kind, $timestamp, $method, $path, $body ) {
		$text = implode( "\n", array( $kind, (string) $timestamp, strtoupper( $method ), $path, hash( 'sha256', $body ) ) );
		return hash_hmac( 'sha256', $text, $this->bridge_secret() );
	}

	/**
	 * Writes to the WooCommerce log when the debug log is on.
	 *
	 * @param string $message Message (never a secret).
	 * @param string $level   Log level.
	 */
	private function log( $message, $level = 'info' ) {
		if ( $this->debug && function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->log( $level, $message, array( 'source' => self::LOG_SOURCE ) );
		}
	}

	/**
	 * Only offered for HKD carts, when the bridge is configured, and in test mode only to shop managers.
	 *
	 * @return bool
	 */
	public function is_available() {
		if ( ! $this->is_configured() ) {
			return false;
		}
		if ( 'HKD' !== get_woocommerce_currency() ) {
			return false;
		}
		if ( $this->testmode && ! current_user_can( 'manage_woocommerce' ) ) {
			return false;
		}
		return parent::is_available();
	}

	/**
	 * Checkout: the order stays "pending"; the customer goes to the bridge's hosted QR page, which
	 * checks the order key, shows the QR and returns to the thank-you page once paid. The Checkout
	 * block calls this too.
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
		if ( $this->testmode ) {
			$order->add_order_note( __( 'Alipay HK test mode: placed by a shop manager while the gateway was in test mode.', 'alipayhk-woocommerce' ) );
		}
		$url = $this->bridge_url . '/pay/' . rawurlencode( (string) $order->get_id() ) . '?key=' . rawurlencode( $order->get_order_key() );
		$this->log( sprintf( 'order %d: to the hosted QR page', $order->get_id() ) );
		return array(
			'result'   => 'success',
			'redirect' => $url,
		);
	}

	/**
	 * The order's page on the bridge (its trades and refunds), as a link signed for one hour.
	 * Shown by WooCommerce next to the transaction id.
	 *
	 * @param WC_Order $order Order.
	 * @return string
	 */
	public function get_transaction_url( $order ) {
		if ( ! $order || '' === (string) $order->get_transaction_id() || ! $this->is_configured() ) {
			return '';
		}
		$path    = '/woocommerce/orders/' . rawurlencode( (string) $order->get_id() ) . '/payment';
		$expires = time() + HOUR_IN_SECONDS;
		return $this->bridge_url . $path . '?expires=' . $expires . '&signature=' . $this->sign( 'v1-link', $expires, 'GET', $path, '' );
	}

	/**
	 * "Refund via Alipay HK": the bridge reads the refund back from WooCommerce, checks order and
	 * amount, and executes it at Alipay before this returns. On failure WooCommerce deletes its
	 * refund and shows the message, so nothing is recorded that did not happen.
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
		if ( ! $this->is_configured() ) {
			return new WP_Error( 'alipayhk_refund', __( 'Alipay HK: set the bridge URL and the bridge secret first.', 'alipayhk-woocommerce' ) );
		}
		$path      = '/woocommerce/refund';
		$body      = wp_json_encode(
			array(
				'order_id'  => (int) $order_id,
				'refund_id' => $refund_id,
				'amount'    => wc_format_decimal( $amount, 2 ),
				'reason'    => (string) $reason,
			)
		);
		$timestamp = time();
		$this->log( sprintf( 'order %d: refund #%d of %s sent to the bridge', $order_id, $refund_id, wc_format_decimal( $amount, 2 ) ) );
		$response = wp_remote_post(
			$this->bridge_url . $path,
			array(
				'timeout' => 60,
				'headers' => array(
					'Content-Type'          => 'application/json',
					'X-AlipayHK-Timestamp'  => (string) $timestamp,
					'X-AlipayHK-Signature'  => $this->sign( 'v1', $timestamp, 'POST', $path, $body ),
				),
				'body'    => $body,
			)
		);
		if ( is_wp_error( $response ) ) {
			$this->log( 'bridge unreachable: ' . $response->get_error_message(), 'error' );
			/* translators: %s: the error from the HTTP client */
			return new WP_Error( 'alipayhk_refund', sprintf( __( 'Alipay HK: the bridge could not be reached: %s', 'alipayhk-woocommerce' ), $response->get_error_message() ) );
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$data = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 200 === $code && is_array( $data ) && isset( $data['status'] ) && 'succeeded' === $data['status'] ) {
			$this->log( sprintf( 'order %d: refund #%d executed', $order_id, $refund_id ) );
			return true;
		}
		$message = self::bridge_message( $data, $code );
		$this->log( sprintf( 'order %d: refund #%d not executed: %s', $order_id, $refund_id, $message ), 'warning' );
		/* translators: %s: the bridge's explanation */
		return new WP_Error( 'alipayhk_refund', sprintf( __( 'Alipay HK refund not executed: %s', 'alipayhk-woocommerce' ), $message ) );
	}
}
