import pytest
import stripe

from tests.stripe_sandbox.payment_helpers import connected_account

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_customer_create_retrieve_and_update(sdk):
    customer = sdk.v1.customers.create(
        params={"email": "bo@example.com", "name": "Bo", "metadata": {"user_id": "4"}}
    )

    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert (customer.email, customer.name) == ("bo@example.com", "Bo")
    updated = sdk.v1.customers.update(
        customer.id, params={"name": "Bo Buyer", "metadata": {"plan": "pro"}}
    )
    assert updated.name == "Bo Buyer"
    assert updated.metadata.to_dict() == {"user_id": "4", "plan": "pro"}
    assert sdk.v1.customers.retrieve(customer.id).name == "Bo Buyer"


def test_customer_search_by_email_is_scoped_to_the_account(sdk):
    account = connected_account(sdk).id
    mine = sdk.v1.customers.create(params={"email": "bo@example.com"})
    sdk.v1.customers.create(params={"email": "other@example.com"})
    sdk.v1.customers.create(params={"email": "bo@example.com"}, options={"stripe_account": account})

    found = sdk.v1.customers.search(params={"query": "email:'bo@example.com'"})

    assert found.object == "search_result"
    assert [customer.id for customer in found.data] == [mine.id]


def test_customer_list_filters_by_email(sdk):
    sdk.v1.customers.create(params={"email": "a@example.com"})
    wanted = sdk.v1.customers.create(params={"email": "b@example.com"})

    found = sdk.v1.customers.list(params={"email": "b@example.com"})

    assert [customer.id for customer in found.data] == [wanted.id]


def test_another_accounts_customer_is_missing(sdk):
    account = connected_account(sdk).id
    customer = sdk.v1.customers.create(
        params={"email": "bo@example.com"}, options={"stripe_account": account}
    )

    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.customers.retrieve(customer.id)

    assert raised.value.http_status == 404
    assert raised.value.error.code == "resource_missing"
    assert raised.value.error.message == f"No such customer: '{customer.id}'"


def test_deleted_customer_reads_as_deleted(sdk):
    customer = sdk.v1.customers.create(params={"email": "bo@example.com"})

    sdk.v1.customers.delete(customer.id)

    assert sdk.v1.customers.retrieve(customer.id).deleted is True
    assert sdk.v1.customers.list().data == []


def test_products_and_prices_one_time_and_recurring(sdk):
    product = sdk.v1.products.create(params={"name": "Course", "metadata": {"course": "1"}})
    one_time = sdk.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 4900}
    )
    monthly = sdk.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Membership"},
        }
    )

    assert product.id.startswith("prod_")
    assert (one_time.type, one_time.recurring, one_time.unit_amount) == ("one_time", None, 4900)
    assert monthly.type == "recurring"
    assert (monthly.recurring.interval, monthly.recurring.interval_count) == ("month", 1)
    assert sdk.v1.products.retrieve(monthly.product).name == "Membership"
    assert sdk.v1.prices.retrieve(one_time.id).product == product.id
    listed = sdk.v1.prices.list(params={"product": product.id}).data
    assert [price.id for price in listed] == [one_time.id]
    assert {item.id for item in sdk.v1.products.list().data} == {product.id, monthly.product}


def test_price_needs_a_known_product_and_a_valid_interval(sdk):
    with pytest.raises(stripe.InvalidRequestError) as no_product:
        sdk.v1.prices.create(params={"currency": "usd", "unit_amount": 100, "product": "prod_x"})
    with pytest.raises(stripe.InvalidRequestError) as bad_interval:
        sdk.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 100,
                "product_data": {"name": "x"},
                "recurring": {"interval": "fortnight"},
            }
        )

    assert no_product.value.error.code == "resource_missing"
    assert bad_interval.value.error.param.startswith("recurring")
