import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from stripe_sandbox.webhooks import stop_worker

SECRET_KEY = "sk_test_sandbox_platform"
CLIENT_ID = "ca_sandbox_platform"


@pytest.fixture
def sandbox_url(stripe_sandbox, settings):
    """The live server's sandbox, with fast webhook retries and no background worker.

    Tests deliver webhooks themselves (`deliver_due`, `wait_for_deliveries`) so they are
    deterministic; the worker has its own tests.
    """
    settings.STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = [0.2, 0.2, 0.2]
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    stop_worker()
    yield f"{stripe_sandbox}/stripe-sandbox"
    stop_worker()


def make_client(base: str, api_key: str = SECRET_KEY) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        client_id=CLIENT_ID,
        base_addresses={"api": base, "connect": base},
        max_network_retries=0,
    )


@pytest.fixture
def sdk(sandbox_url) -> stripe.StripeClient:
    return make_client(sandbox_url)


class Receiver:
    """A tiny HTTP endpoint on its own port that records webhook posts.

    `statuses` are answered in order (the last one repeats), e.g. [500, 200] fails once.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = [200]
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                index = len(receiver.requests)
                status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.received.set()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} webhooks arrived"
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings, sandbox_url):
    """Webhook endpoints (platform at /platform, Connect at /connect) on a local receiver."""
    endpoint = Receiver()
    settings.STRIPE_SANDBOX_WEBHOOK_URL = f"{endpoint.url}/platform"
    settings.STRIPE_SANDBOX_CONNECT_WEBHOOK_URL = f"{endpoint.url}/connect"
    yield endpoint
    endpoint.close()
