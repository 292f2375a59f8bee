"""A stand-in for the Connect gateway functions `accounts.services` calls: each call is recorded,
and answers come from a dict (an exception is raised), so a test sees what would go to Stripe."""

from accounts import services
from accounts.stripe_connect import ConnectedAccount


def recorded_gateway(monkeypatch, answers: dict):
    """Patch the named gateway functions of `accounts.services`; `answers` says what each gives."""
    calls: list[tuple[str, dict]] = []

    def fake(name):
        def call(**kwargs):
            calls.append((name, kwargs))
            answer = answers[name]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call

    for name in answers:
        monkeypatch.setattr(services, name, fake(name))
    return type("Gateway", (), {"calls": calls, "answers": answers})


def called(gateway, name: str) -> list[dict]:
    """The keyword arguments of each call to `name`, in order."""
    return [kwargs for call, kwargs in gateway.calls if call == name]


def connected(account_id="acct_1Svc", account_type="standard", ready=True, due=()):
    """An account as Stripe reports it: `ready` sets charges, payouts and details at once."""
    return ConnectedAccount(
        id=account_id,
        account_type=account_type,
        charges_enabled=ready,
        payouts_enabled=ready,
        details_submitted=ready,
        requirements_due=tuple(due),
    )
