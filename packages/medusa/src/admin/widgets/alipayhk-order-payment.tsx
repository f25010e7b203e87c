import { defineWidgetConfig } from "@medusajs/admin-sdk";
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types";
import { Badge, Container, Heading, Text } from "@medusajs/ui";
import { useEffect, useState } from "react";

interface AlipayRefund {
  refund_id: string;
  amount: string;
  status: "succeeded" | "pending" | "failed";
  code?: string;
  at: string;
}

interface AlipayPayment {
  id: string;
  method: "qr" | "barcode" | null;
  partner_trans_id: string | null;
  alipay_trans_id: string | null;
  wallet: string | null;
  buyer_login_id: string | null;
  trade_status: string | null;
  paid_at: string | null;
  refunds: AlipayRefund[];
}

const WALLETS: Record<string, string> = { ALIPAYHK: "AlipayHK", ALIPAYCN: "Alipay (mainland)" };
const REFUND_COLORS = { succeeded: "green", pending: "orange", failed: "red" } as const;

function Row({ label, value }: { label: string; value: string | null }) {
  return (
    <div className="flex items-center justify-between gap-x-4 px-6 py-2">
      <Text size="small" leading="compact" className="text-ui-fg-subtle">
        {label}
      </Text>
      <Text size="small" leading="compact" className="break-all text-right">
        {value ?? "-"}
      </Text>
    </div>
  );
}

/** The Alipay HK trade behind the order's payment: ids, wallet, status and refunds. */
const AlipayHkOrderPaymentWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  const [payments, setPayments] = useState<AlipayPayment[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let active = true;
    fetch(`/admin/alipayhk/orders/${order.id}/payments`, { credentials: "include" })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((body: { payments: AlipayPayment[] }) => active && setPayments(body.payments))
      .catch((e: Error) => active && setError(e.message));
    return () => {
      active = false;
    };
  }, [order.id]);

  if (!error && (!payments || payments.length === 0)) return null;

  return (
    <Container className="divide-y p-0">
      <div className="flex items-center justify-between px-6 py-4">
        <Heading level="h2">Alipay HK</Heading>
      </div>
      {error && (
        <Text size="small" className="px-6 py-4 text-ui-fg-error">
          Could not load the Alipay HK payment: {error}
        </Text>
      )}
      {payments?.map((payment) => (
        <div key={payment.id} className="py-2">
          <Row label="Method" value={payment.method === "barcode" ? "In-store barcode" : "QR code"} />
          <Row label="Merchant trade id" value={payment.partner_trans_id} />
          <Row label="Alipay trade id" value={payment.alipay_trans_id} />
          <Row label="Wallet" value={payment.wallet ? WALLETS[payment.wallet] ?? payment.wallet : null} />
          <Row label="Buyer" value={payment.buyer_login_id} />
          <Row label="Status" value={payment.trade_status} />
          <Row label="Paid at" value={payment.paid_at ? new Date(payment.paid_at).toLocaleString() : null} />
          {payment.refunds.map((refund) => (
            <div key={refund.refund_id} className="flex items-center justify-between gap-x-4 px-6 py-2">
              <Text size="small" leading="compact" className="text-ui-fg-subtle">
                Refund HKD {refund.amount}
              </Text>
              <Badge size="2xsmall" color={REFUND_COLORS[refund.status]}>
                {refund.status}
                {refund.code ? ` (${refund.code})` : ""}
              </Badge>
            </div>
          ))}
        </div>
      ))}
    </Container>
  );
};

export const config = defineWidgetConfig({
  zone: "order.details.side.after",
});

export default AlipayHkOrderPaymentWidget;
