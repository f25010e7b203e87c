/**
 * Alipay HK in the block-based Cart & Checkout (WooCommerce 8.3+ stores use them by default).
 *
 * The server side (includes/class-wc-alipayhk-blocks-support.php) exposes the gateway's title,
 * description and supports as `alipayhk_data`. Placing the order runs the gateway's classic
 * process_payment(), whose redirect takes the buyer to the bridge's hosted QR page, exactly as
 * the classic checkout does.
 *
 * No JSX on purpose: @wordpress/scripts would otherwise emit a `react-jsx-runtime` dependency,
 * a script handle WordPress only has since 6.6, and the plugin supports 6.1+.
 */
import { registerPaymentMethod } from "@woocommerce/blocks-registry";
import { getSetting } from "@woocommerce/settings";
import { createElement } from "@wordpress/element";
import { decodeEntities } from "@wordpress/html-entities";
import { __ } from "@wordpress/i18n";

const NAME = "alipayhk";
const settings = getSetting(`${NAME}_data`, {});
const title = decodeEntities(settings.title || "") || __("Alipay HK", "alipayhk-woocommerce");
const description = decodeEntities(settings.description || "");
const currencies = Array.isArray(settings.currencies) && settings.currencies.length ? settings.currencies : ["HKD"];

const Content = () => createElement("div", { className: "wc-block-components-alipayhk" }, description);

const Label = (props) => {
  const PaymentMethodLabel = props?.components?.PaymentMethodLabel;
  return PaymentMethodLabel ? createElement(PaymentMethodLabel, { text: title }) : createElement("span", null, title);
};

/**
 * Offered only when the cart is in a currency the bridge takes (HKD). The server already leaves
 * the method out when the bridge is not configured.
 */
export function canMakePayment(args) {
  const code = args?.cartTotals?.currency_code;
  return typeof code === "string" ? currencies.includes(code.toUpperCase()) : true;
}

registerPaymentMethod({
  name: NAME,
  paymentMethodId: NAME,
  label: createElement(Label, null),
  content: createElement(Content, null),
  edit: createElement(Content, null),
  canMakePayment,
  ariaLabel: title,
  supports: { features: Array.isArray(settings.supports) ? settings.supports : ["products"] },
});
