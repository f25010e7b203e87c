import { defineWidgetConfig } from "@medusajs/admin-sdk";
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types";
import { Container, Copy, Heading, StatusBadge, Text } from "@medusajs/ui";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { formatAdminAmount, formatAdminDate } from "../lib/format";
import { sdk } from "../lib/sdk";

interface AlipayRefund {
  refund_id: string;
  partner_refund_id?: string;
  amount: string;
  status: "succeeded" | "pending" | "failed";
  code?: string;
  at: string;
}

interface AlipayPayment {
  id: string;
  amount: number;
  currency_code: string;
  method: "qr" | "barcode" | null;
  partner_trans_id: string | null;
  alipay_trans_id: string | null;
  wallet: string | null;
  buyer_login_id: string | null;
  trade_status: "pending" | "paid" | "closed" | "unknown" | "unresolved" | "failed" | null;
  paid_at: string | null;
  refunds: AlipayRefund[];
}

type BadgeColor = "green" | "orange" | "red" | "grey" | "blue" | "purple";

const WALLETS: Record<string, string> = { ALIPAYHK: "AlipayHK", ALIPAYCN: "Alipay (mainland China)" };
const TRADE_STATUS: Record<string, [string, BadgeColor]> = {
  paid: ["Paid", "green"],
  pending: ["Awaiting payment", "orange"],
  closed: ["Closed", "grey"],
  failed: ["Failed", "red"],
  unknown: ["Being checked", "orange"],
  unresolved: ["Unresolved", "red"],
};
const REFUND_STATUS: Record<AlipayRefund["status"], [string, BadgeColor]> = {
  succeeded: ["Refunded", "green"],
  pending: ["Pending", "orange"],
  failed: ["Failed", "red"],
};

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="text-ui-fg-subtle grid grid-cols-2 items-center gap-x-4 px-6 py-4">
      <Text size="small" leading="compact" weight="plus">
        {label}
      </Text>
      <div className="min-w-0">{children}</div>
    </div>
  );
}

function Value({ children }: { children: ReactNode }) {
  return (
    <Text size="small" leading="compact">
      {children ?? "-"}
    </Text>
  );
}

/** A long id on one line, cut with an ellipsis (full id on hover) and a copy button. */
function Id({ value }: { value: string | null }) {
  if (!value) return <Value>-</Value>;
  return (
    <div className="flex min-w-0 items-center gap-x-1">
      <Text size="small" leading="compact" className="truncate" title={value}>
        {value}
      </Text>
      <Copy content={value} className="text-ui-fg-muted shrink-0" />
    </div>
  );
}

function Refund({ refund, currencyCode }: { refund: AlipayRefund; currencyCode: string }) {
  const [label, color] = REFUND_STATUS[refund.status] ?? [refund.status, "grey"];
  return (
    <div className="bg-ui-bg-subtle text-ui-fg-subtle flex items-start justify-between gap-x-4 px-6 py-4" data-alipayhk-refund={refund.refund_id}>
      <div className="min-w-0">
        <Text size="small" leading="compact" weight="plus">
          Refund
        </Text>
        <Text size="small" leading="compact">
          {formatAdminDate(refund.at)}
        </Text>
        <div className="flex min-w-0 items-center gap-x-1">
          <Text size="small" leading="compact" className="text-ui-fg-muted truncate" title={refund.refund_id}>
            {refund.refund_id}
          </Text>
          <Copy content={refund.refund_id} className="text-ui-fg-muted shrink-0" />
        </div>
      </div>
      <div className="flex shrink-0 flex-col items-end gap-y-1">
        <Text size="small" leading="compact">
          - {formatAdminAmount(refund.amount, currencyCode)}
        </Text>
        <StatusBadge color={color} className="text-nowrap" title={refund.code}>
          {label}
          {refund.code ? ` (${refund.code})` : ""}
        </StatusBadge>
      </div>
    </div>
  );
}

function Payment({ payment, index, count }: { payment: AlipayPayment; index: number; count: number }) {
  const [status, color] = (payment.trade_status && TRADE_STATUS[payment.trade_status]) || ["Unknown", "grey"];
  return (
    <>
      <div className="flex items-center justify-between gap-x-4 px-6 py-4">
        <Heading level="h2">{count > 1 ? `Alipay HK payment ${index + 1}` : "Alipay HK"}</Heading>
        <StatusBadge color={color} className="text-nowrap">
          {status}
        </StatusBadge>
      </div>
      <Row label="Amount">
        <Value>{formatAdminAmount(payment.amount, payment.currency_code)}</Value>
      </Row>
      <Row label="Method">
        <Value>{payment.method === "barcode" ? "In-store barcode" : "QR code"}</Value>
      </Row>
      <Row label="Wallet">
        <Value>{payment.wallet ? (WALLETS[payment.wallet] ?? payment.wallet) : null}</Value>
      </Row>
      <Row label="Buyer">
        <Value>{payment.buyer_login_id}</Value>
      </Row>
      <Row label="Paid at">
        <Value>{payment.paid_at ? formatAdminDate(payment.paid_at) : null}</Value>
      </Row>
      <Row label="Merchant trade id">
        <Id value={payment.partner_trans_id} />
      </Row>
      <Row label="Alipay trade id">
        <Id value={payment.alipay_trans_id} />
      </Row>
      {payment.refunds.map((refund) => (
        <Refund key={refund.refund_id} refund={refund} currencyCode={payment.currency_code} />
      ))}
    </>
  );
}

/**
 * The Alipay HK trade behind the order's payment: status, amount, wallet, buyer, ids (copyable)
 * and every refund with its time and id. Reads `GET /admin/alipayhk/orders/:id/payments` through
 * the admin JS SDK, so it works with session and token (`ADMIN_AUTH_TYPE=jwt`) login and with an
 * admin hosted apart from the backend. Renders nothing for an order not paid with Alipay HK.
 */
const AlipayHkOrderPaymentWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  // Refetch when the dashboard reloads the order after a refund (its refunds change), not otherwise.
  const refundIds = (order.payment_collections ?? [])
    .flatMap((collection) => collection.payments ?? [])
    .flatMap((payment) => payment.refunds ?? [])
    .map((refund) => refund.id)
    .join(",");
  const { data, error } = useQuery({
    queryKey: ["alipayhk", "order-payments", order.id, refundIds],
    queryFn: () => sdk.client.fetch<{ payments: AlipayPayment[] }>(`/admin/alipayhk/orders/${order.id}/payments`),
    staleTime: 30_000,
    refetchOnWindowFocus: false,
  });

  if (!error && (!data || data.payments.length === 0)) return null;

  return (
    <Container className="divide-y p-0" data-alipayhk-widget="">
      {error ? (
        <>
          <div className="flex items-center justify-between px-6 py-4">
            <Heading level="h2">Alipay HK</Heading>
          </div>
          <Text size="small" leading="compact" className="text-ui-fg-error px-6 py-4">
            Could not load the Alipay HK payment: {error.message}
          </Text>
        </>
      ) : (
        data!.payments.map((payment, index) => <Payment key={payment.id} payment={payment} index={index} count={data!.payments.length} />)
      )}
    </Container>
  );
};

// The main column, after the order's own sections (Summary, Payments, Fulfillment). Medusa 2.21's
// page layouts place a widget at the end of its zone's column (`.before`/`.after` are ignored), so
// the sidebar would put it below Customer and Activity, at the very bottom of a narrow screen.
// An admin can still move it with the page's layout editor.
export const config = defineWidgetConfig({
  zone: "order.details.after",
});

export default AlipayHkOrderPaymentWidget;
