"""/v1/events: the events the sandbox emitted, scoped like Stripe (platform or Stripe-Account)."""

from __future__ import annotations

from stripe.params import EventListParams, EventRetrieveParams

from stripe_sandbox import store
from stripe_sandbox.api import ApiRequest, router
from stripe_sandbox.errors import resource_missing
from stripe_sandbox.models import Event
from stripe_sandbox.params import as_list
from stripe_sandbox.routers import SANDBOX_DATABASE


@router.route("GET", "/v1/events", params=EventListParams)
def event_list(request: ApiRequest) -> dict:
    queryset = Event.objects.using(SANDBOX_DATABASE).filter(account=request.account)
    event_type = request.params.get("type")
    if event_type:
        if "*" in event_type:
            queryset = queryset.filter(type__startswith=event_type.split("*")[0])
        else:
            queryset = queryset.filter(type=event_type)
    types = as_list(request.params.get("types"))
    if types:
        queryset = queryset.filter(type__in=types)
    queryset = store.filter_created(queryset, request.params.get("created"))
    return store.list_response(queryset, request.params, url="/v1/events")


@router.route("GET", "/v1/events/{event}", params=EventRetrieveParams)
def event_retrieve(request: ApiRequest) -> dict:
    event_id = request.path_params["event"]
    event = (
        Event.objects.using(SANDBOX_DATABASE).filter(id=event_id, account=request.account).first()
    )
    if event is None:
        raise resource_missing("event", event_id)
    return event.data
