/**
 * Type-checks (`pnpm typecheck`; never bundled) the Next.js starter edits documented in
 * packages/medusa-react/README.md against the real js-sdk and Medusa types. The starter's own
 * modules are declared here with the signatures they have in medusajs/nextjs-starter-medusa
 * (`@lib/data/cart`'s server actions, `@lib/config`'s sdk); the snippet bodies are the README's.
 */
import type Medusa from "@medusajs/js-sdk";
import type { HttpTypes } from "@medusajs/types";
import { AlipayHkQrPayment, ALIPAYHK_QR_PROVIDER_ID, findAlipayHkSession, isAlipayHkQr, type AlipayHkSessionStatus } from "@alipayhk/medusa-react";

// ---- the starter, as declared in its source ----
declare const sdk: Medusa; // src/lib/config.ts
declare function initiatePaymentSession(
  cart: HttpTypes.StoreCart,
  data: HttpTypes.StoreInitializePaymentSession,
): Promise<HttpTypes.StorePaymentCollectionResponse>; // src/lib/data/cart.ts
declare function placeOrder(cartId?: string): Promise<HttpTypes.StoreCart>; // src/lib/data/cart.ts (redirects when an order is placed)
declare function Button(props: { disabled?: boolean; children?: unknown }): JSX.Element; // @medusajs/ui

// ---- step 3: src/lib/data/alipayhk.ts ----
export async function getAlipayHkSession(id: string, qrImage?: boolean) {
  const { payment_session } = await sdk.client.fetch<{ payment_session: AlipayHkSessionStatus }>(`/store/alipayhk/payment-sessions/${id}`, {
    query: qrImage ? { qr_image: "true" } : {},
    cache: "no-store",
  });
  return payment_session;
}

// ---- step 4: src/modules/checkout/components/payment-button/alipayhk.tsx ----
const client = { getPaymentSession: (id: string, o?: { qrImage?: boolean }) => getAlipayHkSession(id, o?.qrImage) };

export default function AlipayHkPaymentButton({ cart, notReady }: { cart: HttpTypes.StoreCart; notReady: boolean }) {
  if (notReady) return <Button disabled>Place order</Button>;
  return (
    <AlipayHkQrPayment
      client={client}
      session={findAlipayHkSession(cart)}
      onPaid={() => placeOrder()}
      onRenew={async () => {
        const { payment_collection } = await initiatePaymentSession(cart, { provider_id: ALIPAYHK_QR_PROVIDER_ID });
        return findAlipayHkSession(payment_collection);
      }}
    />
  );
}

// ---- step 5: the case in payment-button/index.tsx ----
export function paymentButtonCase(cart: HttpTypes.StoreCart, notReady: boolean) {
  const paymentSession = cart.payment_collection?.payment_sessions?.[0];
  switch (true) {
    case isAlipayHkQr(paymentSession?.provider_id):
      return <AlipayHkPaymentButton cart={cart} notReady={notReady} />;
    default:
      return null;
  }
}
