"""The balance: GET /v1/balance, per account, summed from its balance transactions."""

from __future__ import annotations

from stripe.params import BalanceRetrieveParams

from stripe_sandbox import money
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.resources.payouts import funds_settle


@router.route("GET", "/v1/balance", params=BalanceRetrieveParams)
def balance_retrieve(request: ApiRequest) -> dict:
    funds_settle(account=request.account)
    return money.balance_for(request.account)
