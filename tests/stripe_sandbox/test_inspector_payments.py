import pytest

from tests.stripe_sandbox.payment_helpers import connected_account, create_session, pay
from tests.stripe_sandbox.test_subscriptions import monthly_item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_inspector_shows_each_charge_type_with_fee_transfer_and_refunds(sdk, client):
    account = connected_account(sdk).id
    direct = create_session(
        sdk, account=account, payment_intent_data={"application_fee_amount": 490}
    )
    destination = create_session(
        sdk,
        items=[
            {
                "quantity": 1,
                "price_data": {
                    "currency": "jpy",
                    "unit_amount": 3000,
                    "product_data": {"name": "Yen course"},
                },
            }
        ],
        payment_intent_data={
            "application_fee_amount": 300,
            "transfer_data": {"destination": account},
        },
    )
    separate = create_session(sdk, payment_intent_data={"transfer_group": "order-3"})
    for session in (direct, destination, separate):
        pay(session)
    charge = sdk.v1.charges.list(
        params={"payment_intent": sdk.v1.checkout.sessions.retrieve(separate.id).payment_intent}
    ).data[0]
    sdk.v1.transfers.create(
        params={
            "amount": 4000,
            "currency": "usd",
            "destination": account,
            "source_transaction": charge.id,
        }
    )
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    pay(create_session(sdk), card="4000000000000002")

    html = client.get("/stripe-sandbox/").content.decode()

    assert "No payments yet." not in html
    for text in ("direct", "destination", "separate", "failed", "partially refunded"):
        assert text in html
    assert "$4.90" in html
    assert "¥300" in html and "¥3,000 to" in html
    assert "$40.00 to" in html
    assert "$10.00" in html
    assert "Your card was declined." in html


def test_advance_button_renews_a_subscription(sdk, client):
    session = create_session(sdk, mode="subscription", items=[monthly_item()])
    pay(session)
    subscription = sdk.v1.checkout.sessions.retrieve(session.id).subscription
    assert "Advance to next period" in client.get("/stripe-sandbox/").content.decode()

    response = client.post(f"/stripe-sandbox/subscriptions/{subscription}/advance/")

    assert response.status_code == 302
    assert response["Location"].endswith("#payments-subscriptions")
    invoices = sdk.v1.invoices.list(params={"subscription": subscription}).data
    assert [invoice.billing_reason for invoice in invoices] == [
        "subscription_cycle",
        "subscription_create",
    ]
    assert invoices[0].status == "paid"


def test_advance_button_refuses_a_canceled_subscription(sdk, client):
    session = create_session(sdk, mode="subscription", items=[monthly_item()])
    pay(session)
    subscription = sdk.v1.checkout.sessions.retrieve(session.id).subscription
    sdk.v1.subscriptions.cancel(subscription)

    response = client.post(f"/stripe-sandbox/subscriptions/{subscription}/advance/")

    assert response.status_code == 400
