import pytest

from stripe_sandbox import store
from stripe_sandbox.errors import StripeError
from stripe_sandbox.search import search_response

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def customers():
    for email, name, balance, metadata in [
        ("jane@example.com", "Jane Doe", 0, {"user": "1"}),
        ("john@example.com", "John Doe", 500, {"user": "2"}),
        ("ann@example.org", "Ann Smith", 1000, {}),
    ]:
        store.create_object(
            "customer",
            {"email": email, "name": name, "balance": balance, "metadata": metadata},
        )
    return store.objects().filter(object_type="customer")


def _emails(result):
    return sorted(item["email"] for item in result["data"])


def test_exact_match_ignores_case(customers):
    result = search_response(customers, {"query": "email:'JANE@example.com'"}, url="/v1/x")

    assert result["object"] == "search_result"
    assert _emails(result) == ["jane@example.com"]


def test_substring_metadata_numbers_and_negation(customers):
    def emails(query):
        return _emails(search_response(customers, {"query": query}, url="/v1/x"))

    assert emails('name~"Doe"') == ["jane@example.com", "john@example.com"]
    assert emails("metadata['user']:'2'") == ["john@example.com"]
    assert emails("balance>=500") == ["ann@example.org", "john@example.com"]
    assert emails("-name~'Doe'") == ["ann@example.org"]
    assert emails("name~'Doe' AND balance>0") == ["john@example.com"]
    assert emails("email:'ann@example.org' OR balance:0") == [
        "ann@example.org",
        "jane@example.com",
    ]


def test_results_page_with_next_page(customers):
    first = search_response(customers, {"query": "balance>=0", "limit": 2}, url="/v1/x")
    second = search_response(
        customers, {"query": "balance>=0", "limit": 2, "page": first["next_page"]}, url="/v1/x"
    )

    assert first["has_more"] and len(first["data"]) == 2
    assert not second["has_more"] and second["next_page"] is None
    assert len({item["id"] for item in first["data"] + second["data"]}) == 3


@pytest.mark.parametrize("query", ["email", "a:'x' AND b:'y' OR c:'z'", "name~'ab'"])
def test_unparseable_queries_are_refused(customers, query):
    with pytest.raises(StripeError) as raised:
        search_response(customers, {"query": query}, url="/v1/x")

    assert raised.value.status == 400
    assert raised.value.param == "query"
