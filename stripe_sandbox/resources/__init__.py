"""API resources. Each module registers its handlers on `stripe_sandbox.api.router` on import.

Add a new module here to make its endpoints live.
"""

from . import (  # noqa: F401
    accounts,
    balance,
    checkout,
    customers,
    disputes,
    events,
    external_accounts,
    payments,
    payouts,
    products,
    subscriptions,
    transfers,
)
