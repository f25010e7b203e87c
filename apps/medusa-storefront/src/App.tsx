import Medusa from "@medusajs/js-sdk";
import type { HttpTypes } from "@medusajs/types";
import {
  ALIPAYHK_BARCODE_PROVIDER_ID,
  ALIPAYHK_QR_PROVIDER_ID,
  AlipayHkBarcodeEntry,
  AlipayHkQrPayment,
  createAlipayHkStoreClient,
  findAlipayHkSession,
  isAlipayHkProvider,
  type AlipayHkSessionLike,
} from "@alipayhk/medusa-react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import type { StorefrontConfig } from "./config";

const CART_KEY = "alipayhk-demo-cart";
const money = (amount: number | undefined, currency = "hkd") =>
  new Intl.NumberFormat("en-HK", { style: "currency", currency: currency.toUpperCase() }).format(amount ?? 0);
const CART_FIELDS = "*items,*shipping_methods,*payment_collection,*payment_collection.payment_sessions,+total,+item_total,+shipping_total";

type Step = "shop" | "details" | "payment" | "done";

/** A one-product shop: add to cart, delivery details, pay with Alipay HK, the order. */
export function App({ config }: { config: StorefrontConfig }) {
  const sdk = useMemo(() => new Medusa({ baseUrl: config.backendUrl, publishableKey: config.publishableKey }), [config]);
  const alipay = useMemo(() => createAlipayHkStoreClient({ baseUrl: config.backendUrl, publishableKey: config.publishableKey }), [config]);
  const [region, setRegion] = useState<HttpTypes.StoreRegion>();
  const [products, setProducts] = useState<HttpTypes.StoreProduct[]>([]);
  const [cart, setCart] = useState<HttpTypes.StoreCart>();
  const [order, setOrder] = useState<HttpTypes.StoreOrder>();
  const [step, setStep] = useState<Step>("shop");
  const [error, setError] = useState<string>();

  useEffect(() => {
    (async () => {
      const { regions } = await sdk.store.region.list();
      const hk = regions.find((r) => r.currency_code === "hkd") ?? regions[0];
      if (!hk) throw new Error("The store has no region: run `pnpm seed` in apps/medusa-store");
      setRegion(hk);
      const { products } = await sdk.store.product.list({ region_id: hk.id, fields: "*variants.calculated_price" });
      setProducts(products);
      const saved = localStorage.getItem(CART_KEY);
      if (saved) {
        const existing = await sdk.store.cart.retrieve(saved, { fields: CART_FIELDS }).catch(() => undefined);
        if (existing?.cart && !existing.cart.completed_at) setCart(existing.cart);
        else localStorage.removeItem(CART_KEY);
      }
    })().catch((e: Error) => setError(e.message));
  }, [sdk]);

  const reloadCart = async (id = cart!.id) => {
    const { cart: fresh } = await sdk.store.cart.retrieve(id, { fields: CART_FIELDS });
    setCart(fresh);
    return fresh;
  };

  const addToCart = async (variantId: string) => {
    setError(undefined);
    try {
      let id = cart?.id;
      if (!id) {
        const { cart: created } = await sdk.store.cart.create({ region_id: region!.id });
        id = created.id;
        localStorage.setItem(CART_KEY, id);
      }
      await sdk.store.cart.createLineItem(id, { variant_id: variantId, quantity: 1 });
      await reloadCart(id);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const placed = (result: HttpTypes.StoreCompleteCartResponse) => {
    if (result.type !== "order") throw new Error(result.error?.message ?? "The order could not be placed");
    localStorage.removeItem(CART_KEY);
    setOrder(result.order);
    setStep("done");
    return result;
  };

  return (
    <div className="page">
      <header>
        <h1>Milk tea shop</h1>
        <span className="tag">Alipay HK on Medusa · sandbox</span>
        {cart && step === "shop" && (cart.items?.length ?? 0) > 0 && (
          <button type="button" data-testid="checkout" onClick={() => setStep("details")}>
            Check out ({cart.items!.reduce((n, i) => n + i.quantity, 0)}) · {money(cart.item_total)}
          </button>
        )}
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {step === "shop" && (
        <ul className="products">
          {products.map((p) => {
            const variant = p.variants?.[0];
            return (
              <li key={p.id}>
                <h2>{p.title}</h2>
                <p>{money(variant?.calculated_price?.calculated_amount ?? undefined)}</p>
                {variant && (
                  <button type="button" data-testid={`add-${p.handle}`} onClick={() => addToCart(variant.id)}>
                    Add to cart
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {step === "details" && cart && (
        <Details
          sdk={sdk}
          cart={cart}
          onDone={async () => {
            await reloadCart();
            setStep("payment");
          }}
        />
      )}
      {step === "payment" && cart && (
        <Payment
          sdk={sdk}
          cart={cart}
          reloadCart={reloadCart}
          renderQr={(session, renew) => (
            <AlipayHkQrPayment client={alipay} session={session} onPaid={async () => placed(await sdk.store.cart.complete(cart.id))} onRenew={renew} />
          )}
          renderBarcode={() => (
            <AlipayHkBarcodeEntry
              client={alipay}
              createSession={async (buyerCode) =>
                sdk.store.payment.initiatePaymentSession(await reloadCart(), { provider_id: ALIPAYHK_BARCODE_PROVIDER_ID, data: { buyer_code: buyerCode } })
              }
              complete={async () => placed(await sdk.store.cart.complete(cart.id))}
            />
          )}
        />
      )}
      {step === "done" && order && (
        <section className="confirmation" data-testid="order-confirmation">
          <h2>Thank you! Order #{order.display_id} is placed.</h2>
          <p>
            {money(order.total, order.currency_code)} paid with Alipay HK. A confirmation goes to {order.email}.
          </p>
          <button
            type="button"
            onClick={() => {
              setCart(undefined);
              setOrder(undefined);
              setStep("shop");
            }}
          >
            Continue shopping
          </button>
        </section>
      )}
    </div>
  );
}

function Details({ sdk, cart, onDone }: { sdk: Medusa; cart: HttpTypes.StoreCart; onDone: () => Promise<unknown> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const address = {
      first_name: String(form.get("first_name")),
      last_name: String(form.get("last_name")),
      address_1: String(form.get("address_1")),
      city: "Hong Kong",
      country_code: "hk",
      phone: String(form.get("phone") ?? ""),
    };
    setBusy(true);
    setError(undefined);
    try {
      await sdk.store.cart.update(cart.id, { email: String(form.get("email")), shipping_address: address, billing_address: address });
      const { shipping_options } = await sdk.store.fulfillment.listCartOptions({ cart_id: cart.id });
      const option = shipping_options[0];
      if (!option) throw new Error("No delivery option for this address");
      await sdk.store.cart.addShippingMethod(cart.id, { option_id: option.id });
      await onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="details" onSubmit={submit}>
      <h2>Delivery</h2>
      <label>
        Email <input name="email" type="email" required defaultValue={cart.email ?? ""} />
      </label>
      <label>
        First name <input name="first_name" required />
      </label>
      <label>
        Last name <input name="last_name" required />
      </label>
      <label>
        Address <input name="address_1" required />
      </label>
      <label>
        Phone <input name="phone" />
      </label>
      <p className="muted">Delivered in Hong Kong, free.</p>
      {error && <p className="error">{error}</p>}
      <button type="submit" disabled={busy} data-testid="to-payment">
        Continue to payment
      </button>
    </form>
  );
}

function Payment({
  sdk,
  cart,
  reloadCart,
  renderQr,
  renderBarcode,
}: {
  sdk: Medusa;
  cart: HttpTypes.StoreCart;
  reloadCart: () => Promise<HttpTypes.StoreCart>;
  renderQr: (session: AlipayHkSessionLike, renew: () => Promise<AlipayHkSessionLike | undefined>) => JSX.Element;
  renderBarcode: () => JSX.Element;
}) {
  const [providers, setProviders] = useState<string[]>([]);
  const [method, setMethod] = useState<string>();
  const [qrSession, setQrSession] = useState<AlipayHkSessionLike>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    sdk.store.payment
      .listPaymentProviders({ region_id: cart.region_id! })
      .then(({ payment_providers }) =>
        setProviders(
          payment_providers
            .map((p) => p.id)
            .filter(isAlipayHkProvider)
            .sort((a, b) => Number(b === ALIPAYHK_QR_PROVIDER_ID) - Number(a === ALIPAYHK_QR_PROVIDER_ID)),
        ),
      )
      .catch((e: Error) => setError(e.message));
  }, [sdk, cart.region_id]);

  /** A QR session for the cart as it is now; called again for a fresh QR after expiry. */
  const startQr = async () => {
    const { payment_collection } = await sdk.store.payment.initiatePaymentSession(await reloadCart(), { provider_id: ALIPAYHK_QR_PROVIDER_ID });
    const session = findAlipayHkSession(payment_collection);
    setQrSession(session);
    return session;
  };

  const choose = async (id: string) => {
    setMethod(id);
    setError(undefined);
    if (id === ALIPAYHK_QR_PROVIDER_ID) await startQr().catch((e: Error) => setError(e.message));
  };

  return (
    <section className="payment">
      <div className="summary">
        <h2>Order summary</h2>
        {cart.items?.map((item) => (
          <p key={item.id}>
            {item.quantity} × {item.product_title} <span>{money(item.total ?? undefined)}</span>
          </p>
        ))}
        <p className="total">
          Total <span>{money(cart.total)}</span>
        </p>
      </div>
      <div className="methods">
        <h2>Payment</h2>
        {providers.map((id) => (
          <label key={id} className="method">
            <input type="radio" name="method" value={id} checked={method === id} onChange={() => choose(id)} data-testid={`method-${id}`} />
            {id === ALIPAYHK_QR_PROVIDER_ID ? "Alipay HK (scan a QR code)" : "Alipay HK at the till (scan the buyer's code)"}
          </label>
        ))}
        {error && <p className="error">{error}</p>}
        {method === ALIPAYHK_QR_PROVIDER_ID && qrSession && renderQr(qrSession, startQr)}
        {method === ALIPAYHK_BARCODE_PROVIDER_ID && renderBarcode()}
      </div>
    </section>
  );
}
