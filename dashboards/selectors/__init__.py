"""Reads behind the dashboards, one module per audience: `seller`, `buyer`, `platform` (staff),
with what they share in `common`.

Every figure is a database aggregate grouped by currency. Amounts in different currencies are
never added together: each function returns one row per currency (or per currency and something
else), and the pages show them side by side.

A sale is an order with `paid_at` set, whatever happened to it afterwards (paid, partially
refunded, refunded or disputed). Refunds are counted against the period of the sale they refund.
Money is shown as Stripe moved it: Stripe's processing fee where the seller bore it, platform fees
less what refunds gave back, and the seller's and the platform's nets stored on each sale
(`checkout.models.Order.money_recompute`).

All-time totals read `SaleTotal` (running totals per seller, course, currency and charge type that
checkout's services keep in step with the orders) rather than every order, so they cost the same
after ten years of sales as after one month; `common.sale_figures` makes that choice once.
"""
