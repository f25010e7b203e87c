import type { MedusaContainer } from "@medusajs/framework/types";
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils";
import {
  createApiKeysWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows";

export const ALIPAYHK_PROVIDERS = ["pp_alipayhk-qr_alipayhk", "pp_alipayhk-barcode_alipayhk"];

export interface SeededStore {
  regionId: string;
  salesChannelId: string;
  publishableKey: string;
  variantId: string;
  shippingOptionId: string;
}

/**
 * The smallest store that can take an Alipay HK order: an HKD region (Hong Kong) offering both
 * Alipay HK providers, a sales channel with a publishable key, one product at HKD 100.00 that needs
 * no inventory, and a free delivery option.
 */
export async function seedAlipayHkStore(container: MedusaContainer): Promise<SeededStore> {
  const link = container.resolve(ContainerRegistrationKeys.LINK);
  const fulfillment = container.resolve(Modules.FULFILLMENT);
  const storeModule = container.resolve(Modules.STORE);

  const {
    result: [salesChannel],
  } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: "Alipay HK demo shop" }] },
  });

  const [store] = await storeModule.listStores();
  await updateStoresWorkflow(container).run({
    input: {
      selector: { id: store!.id },
      update: {
        supported_currencies: [{ currency_code: "hkd", is_default: true }],
        default_sales_channel_id: salesChannel!.id,
      },
    },
  });

  const {
    result: [region],
  } = await createRegionsWorkflow(container).run({
    input: {
      regions: [{ name: "Hong Kong", currency_code: "hkd", countries: ["hk"], payment_providers: ALIPAYHK_PROVIDERS }],
    },
  });

  const {
    result: [apiKey],
  } = await createApiKeysWorkflow(container).run({
    input: { api_keys: [{ title: "Storefront", type: "publishable", created_by: "" }] },
  });
  await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: apiKey!.id, add: [salesChannel!.id] } });

  const {
    result: [location],
  } = await createStockLocationsWorkflow(container).run({
    input: { locations: [{ name: "Kowloon shop", address: { city: "Hong Kong", country_code: "HK", address_1: "1 Nathan Road" } }] },
  });
  await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: location!.id, add: [salesChannel!.id] } });

  const {
    result: [shippingProfile],
  } = await createShippingProfilesWorkflow(container).run({
    input: { data: [{ name: "Default", type: "default" }] },
  });
  const fulfillmentSet = await fulfillment.createFulfillmentSets({
    name: "Hong Kong delivery",
    type: "shipping",
    service_zones: [{ name: "Hong Kong", geo_zones: [{ country_code: "hk", type: "country" }] }],
  });
  await link.create([
    { [Modules.STOCK_LOCATION]: { stock_location_id: location!.id }, [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id } },
    { [Modules.STOCK_LOCATION]: { stock_location_id: location!.id }, [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" } },
  ]);

  const {
    result: [shippingOption],
  } = await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: "Free delivery",
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: fulfillmentSet.service_zones[0]!.id,
        shipping_profile_id: shippingProfile!.id,
        type: { label: "Free", description: "Delivered in 1-2 days.", code: "free" },
        prices: [
          { currency_code: "hkd", amount: 0 },
          { region_id: region!.id, amount: 0 },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ],
  });

  const {
    result: [product],
  } = await createProductsWorkflow(container).run({
    input: {
      products: [
        {
          title: "Milk tea set",
          handle: "milk-tea-set",
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: shippingProfile!.id,
          options: [{ title: "Size", values: ["Regular"] }],
          variants: [
            {
              title: "Regular",
              sku: "MILK-TEA-REGULAR",
              options: { Size: "Regular" },
              manage_inventory: false,
              prices: [{ amount: 100, currency_code: "hkd" }],
            },
          ],
          sales_channels: [{ id: salesChannel!.id }],
        },
      ],
    },
  });

  return {
    regionId: region!.id,
    salesChannelId: salesChannel!.id,
    publishableKey: apiKey!.token,
    variantId: product!.variants[0]!.id,
    shippingOptionId: shippingOption!.id,
  };
}
