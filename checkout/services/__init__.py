"""Writes for checkout, one module per job: orders, refunds, sale_totals, webhook_handlers."""
