#!/usr/bin/env python
"""`make load`: start the `make serve` stack on free ports and drive concurrent buyers through it.

Virtual buyers browse and search the catalog, open courses, sign up, Buy, pay on the sandbox's
hosted Checkout page (some with a declining card) and reach the success page; a few sellers open
their sales dashboard meanwhile. Then the run settles (webhooks, the task worker's emails) and a
probe times a trivial view, the catalog and webhook ingest through the same stack.

Only 127.0.0.1, bounded in users and time, and it stops the stack itself. The databases are
throwaway: SQLite files in a temporary folder, or, when DATABASE_URL names PostgreSQL, the
databases `<name>_load` and `<name>_load_sandbox` on that server, dropped before and after.

    LOAD_ARGS="--users 50 --duration 60" make load
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from email import message_from_string
from email.header import decode_header, make_header
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "load-test-Password-7!"
DEMO_SELLER = "seller@example.com"
DEMO_PASSWORD = "justatest"
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SEARCH_TERMS = ["django", "stripe", "htmx", "tests", "postgresql", "zzzz-no-such-course"]
PLATFORM_WEBHOOK_SECRET = "whsec_sandbox_platform"


# --- measuring --------------------------------------------------------------------------------


class Stats:
    """Latencies and errors per step, shared by every virtual user."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.purchases = 0
        self.declines = 0
        self.signups = 0

    def record(self, step: str, elapsed_ms: float, error: str = "") -> None:
        with self.lock:
            self.latencies[step].append(elapsed_ms)
            if error:
                self.errors[step] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{step}: {error}")

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


class StepFailed(Exception):
    pass


class Client:
    """One browser: a cookie jar, a client address (as a proxy would pass it) and timing."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base = base
        self.stats = stats
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = (
            f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        )

    def call(self, step: str, method: str, url: str, expect: tuple[int, ...], **kwargs):
        if url.startswith("/"):
            url = self.base + url
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, allow_redirects=False, timeout=60, **kwargs)
        except requests.RequestException as error:
            self.stats.record(step, (time.perf_counter() - started) * 1000, type(error).__name__)
            raise StepFailed(step) from error
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status_code not in expect:
            self.stats.record(step, elapsed_ms, f"HTTP {response.status_code} {url}")
            raise StepFailed(step)
        self.stats.record(step, elapsed_ms)
        return response

    def post_form(self, step: str, url: str, data: dict, expect: tuple[int, ...]):
        token = self.http.cookies.get("csrftoken", "")
        return self.call(
            step,
            "POST",
            url,
            expect,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.base + "/"},
        )


class FormFields(HTMLParser):
    """The named fields of the first form on a page, with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.in_form = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self.done:
            self.in_form = True
        elif self.in_form and tag == "input" and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


class MailWatcher:
    """Reads the stack's log, where the task worker prints each email (console mail), for the
    address-confirmation links new buyers must follow (email verification is mandatory)."""

    LINK = re.compile(r"https?://\S+/accounts/confirm-email/[^/\s]+/")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.links: dict[str, str] = {}
        self.changed = threading.Condition()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        block: list[str] = []
        with self.path.open() as log:
            while not self.stopped.is_set():
                line = log.readline()
                if not line:
                    time.sleep(0.1)
                    continue
                if line.rstrip("\n") != "-" * 79:
                    block.append(line)
                    continue
                # The console mailer ends each message with a line of 79 dashes.
                start = next((i for i, text in enumerate(block) if text.startswith("Content-")), 0)
                message = message_from_string("".join(block[start:]))
                block = []
                body = message.get_payload(decode=True) or b""
                link = self.LINK.search(body.decode("utf-8", "replace"))
                if link and message["To"]:
                    with self.changed:
                        self.links[message["To"].strip()] = link[0]
                        self.changed.notify_all()

    def link_for(self, email: str, timeout: float = 30) -> str | None:
        with self.changed:
            self.changed.wait_for(lambda: email in self.links, timeout=timeout)
            return self.links.get(email)

    def stop(self) -> None:
        self.stopped.set()


# --- the virtual users ------------------------------------------------------------------------

COURSE_LINK = re.compile(r'href="/courses/([a-z0-9-]+)/"')
BUY_FORM = re.compile(r'action="/checkout/courses/([a-z0-9-]+)/buy/"')


def sign_up(client: Client, stats: Stats, mail: MailWatcher) -> None:
    client.call("sign-up page", "GET", "/accounts/signup/", (200,))
    email = f"load-{uuid.uuid4().hex[:12]}@example.com"
    client.post_form(
        "sign up",
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        (302,),
    )
    started = time.perf_counter()
    link = mail.link_for(email)
    stats.record(
        "confirmation email arrives",
        (time.perf_counter() - started) * 1000,
        "" if link else "no confirmation email within 30 s",
    )
    if link is None:
        raise StepFailed("confirmation email")
    client.call("confirm-email page", "GET", link, (200,))
    client.post_form("confirm email (logs in)", link, {}, (302,))
    stats.count("signups")


def buyer_journey(
    base: str, stats: Stats, deadline: float, decline_share: float, mail: MailWatcher
) -> None:
    client = Client(base, stats)
    owned: set[str] = set()
    signed_up = False
    while time.monotonic() < deadline:
        try:
            client.call("home", "GET", "/", (200,))
            catalog = client.call("catalog", "GET", "/courses/", (200,))
            client.call(
                "catalog search",
                "GET",
                "/courses/",
                (200,),
                params={"q": random.choice(SEARCH_TERMS)},
            )
            slugs = sorted(set(COURSE_LINK.findall(catalog.text)) - {"mine", "new"})
            if not slugs:
                raise StepFailed("catalog shows no courses")
            slug = random.choice(slugs)
            page = client.call("course page", "GET", f"/courses/{slug}/", (200,))
            if not signed_up:
                sign_up(client, stats, mail)
                signed_up = True
                page = client.call("course page", "GET", f"/courses/{slug}/", (200,))
            if time.monotonic() >= deadline:
                return
            if slug in owned or not BUY_FORM.search(page.text):
                continue  # owned already, or its seller cannot take payments
            buy(client, stats, slug, owned, decline=random.random() < decline_share)
        except StepFailed:
            time.sleep(0.2)


def buy(client: Client, stats: Stats, slug: str, owned: set[str], *, decline: bool) -> None:
    redirect = client.post_form("buy", f"/checkout/courses/{slug}/buy/", {}, (303,))
    hosted_url = redirect.headers["Location"]
    if "/stripe-sandbox/" not in hosted_url:
        stats.record("buy", 0, f"Buy sent the buyer to {hosted_url}")
        raise StepFailed("buy")
    hosted = client.call("hosted checkout page", "GET", hosted_url, (200,))
    form = FormFields()
    form.feed(hosted.text)
    fields = {
        **form.fields,
        "payment_method_type": "card",
        "card_number": DECLINED_CARD if decline else GOOD_CARD,
        "card_expiry": "12 / 34",
        "card_cvc": "123",
        "card_name": "Load Buyer",
    }
    fields.setdefault("email", "")
    if decline:
        page = client.call("pay (declined card)", "POST", hosted_url, (200,), data=fields)
        if "declined" not in page.text.lower():
            stats.record("pay (declined card)", 0, "a declined card did not say so")
        stats.count("declines")
        return
    paid = client.call("pay", "POST", hosted_url, (303,), data=fields)
    stats.count("purchases")
    owned.add(slug)
    success = paid.headers["Location"]
    client.call("success page", "GET", success, (200,))


def seller_journey(base: str, stats: Stats, deadline: float) -> None:
    client = Client(base, stats)
    try:
        client.call("login page", "GET", "/accounts/login/", (200,))
        client.post_form(
            "log in", "/accounts/login/", {"login": DEMO_SELLER, "password": DEMO_PASSWORD}, (302,)
        )
    except StepFailed:
        return
    while time.monotonic() < deadline:
        try:
            client.call("sales dashboard", "GET", "/dashboard/sales/", (200,))
            client.call(
                "sales dashboard, all time",
                "GET",
                "/dashboard/sales/",
                (200,),
                params={"period": "all"},
            )
        except StepFailed:
            time.sleep(0.2)


# --- the probe: a trivial view, the catalog and webhook ingest through the same stack ----------


def signed_event(event_id: str) -> tuple[bytes, str]:
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "balance.available",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": {"object": "balance", "available": []}},
        }
    ).encode()
    timestamp = int(time.time())
    digest = hmac.new(
        PLATFORM_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return payload, f"t={timestamp},v1={digest}"


def probe(base: str, concurrency: int, seconds: float) -> dict[str, dict]:
    """Each target alone, `concurrency` clients for `seconds`: throughput and latencies."""
    duplicate_id = f"evt_load_duplicate_{uuid.uuid4().hex[:10]}"
    payload, signature = signed_event(duplicate_id)
    requests.post(
        f"{base}/checkout/webhook/", data=payload, headers={"Stripe-Signature": signature}
    )

    def webhook_new(session):
        body, sig = signed_event(f"evt_load_{uuid.uuid4().hex}")
        return session.post(
            f"{base}/checkout/webhook/", data=body, headers={"Stripe-Signature": sig}, timeout=30
        )

    def webhook_duplicate(session):
        body, sig = signed_event(duplicate_id)
        return session.post(
            f"{base}/checkout/webhook/", data=body, headers={"Stripe-Signature": sig}, timeout=30
        )

    targets = {
        "trivial view (/robots.txt)": lambda s: s.get(f"{base}/robots.txt", timeout=30),
        "catalog": lambda s: s.get(f"{base}/courses/", timeout=30),
        "catalog, no results": lambda s: s.get(f"{base}/courses/?q=zzzz", timeout=30),
        "webhook: verified new event": webhook_new,
        "webhook: duplicate event": webhook_duplicate,
    }
    results: dict[str, dict] = {}
    for name, send in targets.items():
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def run(send=send, latencies=latencies, errors=errors, stop_at=stop_at, lock=lock):
            session = requests.Session()
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    ok = send(session).status_code == 200
                except requests.RequestException:
                    ok = False
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors[0] += not ok

        started = time.monotonic()
        threads = [threading.Thread(target=run) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        results[name] = {
            "requests": len(latencies),
            "errors": errors[0],
            "throughput": len(latencies) / elapsed,
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
        }
    return results


# --- the stack --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def postgres_recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


SETTLE_REPORT = """
import json
import django
django.setup()
from django.db.models import Count, Q
from checkout.models import Order, OrderEmail
from stripe_sandbox.models import SandboxObject

paid_sessions = set(
    SandboxObject.objects.using("stripe_sandbox")
    .filter(object_type="checkout.session", data__payment_status="paid")
    .values_list("id", flat=True)
)
orders = (
    Order.objects.filter(checkout_session_id__in=paid_sessions)
    .values("checkout_session_id")
    .annotate(
        paid=Count("id", filter=Q(status=Order.Status.PAID), distinct=True),
        receipts=Count("emails", filter=Q(emails__kind="receipt", emails__sent_at__isnull=False,
                                            emails__attempts=1), distinct=True),
        sales=Count("emails", filter=Q(emails__kind="sale", emails__sent_at__isnull=False,
                                         emails__attempts=1), distinct=True),
    )
)
complete = sum(1 for o in orders if o["paid"] == 1 and o["receipts"] == 1 and o["sales"] == 1)
print(json.dumps({
    "payments": len(paid_sessions),
    "paid_orders": Order.objects.filter(status=Order.Status.PAID).count(),
    "complete": complete,
}))
"""


def order_emails_in_log(text: str) -> dict[str, int]:
    """Receipts and sale notices the task worker printed (console mail), by their subject."""
    counts = {"receipt": 0, "sale": 0}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("Subject: "):
            continue
        raw = line[len("Subject: ") :]
        for folded in lines[index + 1 :]:
            if folded[:1] not in (" ", "\t"):
                break
            raw += folded
        subject = str(make_header(decode_header(raw)))
        if subject.startswith("Your receipt for"):
            counts["receipt"] += 1
        elif subject.startswith("You sold"):
            counts["sale"] += 1
    return counts


def settle_report(env: dict) -> dict:
    completed = subprocess.run(
        [PYTHON, "-c", SETTLE_REPORT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def wait_until_up(base: str, stack: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.poll() is not None:
            raise SystemExit("load: the serve stack exited while starting; see its log")
        try:
            if requests.get(f"{base}/healthz/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("load: the serve stack did not answer /healthz/ in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--sellers", type=int, default=None, help="of the users, sellers")
    parser.add_argument("--decline-share", type=float, default=0.1)
    parser.add_argument("--settle-timeout", type=float, default=120)
    parser.add_argument("--probe-seconds", type=float, default=8)
    parser.add_argument("--probe-concurrency", type=int, default=8)
    parser.add_argument("--log", default=None, help="where the stack's output goes")
    args = parser.parse_args()
    users = max(1, min(args.users, 500))
    duration = max(1.0, min(args.duration, 1800.0))
    sellers = args.sellers if args.sellers is not None else max(1, users // 10)
    sellers = min(sellers, users - 1) if users > 1 else 0

    workdir = Path(tempfile.mkdtemp(prefix="marketplace-load-"))
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith("postgres")
    if postgres:
        name = urlsplit(database_url).path.lstrip("/") or "marketplace"
        app_db = with_database(database_url, f"{name}_load")
        sandbox_db = with_database(database_url, f"{name}_load_sandbox")
        postgres_recreate(app_db)
        postgres_recreate(sandbox_db)
    else:
        app_db = f"sqlite:///{workdir / 'app.sqlite3'}"
        sandbox_db = f"sqlite:///{workdir / 'sandbox.sqlite3'}"

    port, sandbox_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRIPE_", "DJANGO_", "EMAIL_", "SITE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "site_config.settings",
            "PORT": str(port),
            "STRIPE_SANDBOX_PORT": str(sandbox_port),
            "SITE_URL": base,
            "DATABASE_URL": app_db,
            "STRIPE_SANDBOX_DATABASE_URL": sandbox_db,
            "STRIPE_SANDBOX_ALLOWED": "1",
            "DJANGO_SECRET_KEY": f"load-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
            "EMAIL_MODE": "console",
            # The virtual users come from many addresses, as a load balancer would pass them.
            "DJANGO_TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    engine = "PostgreSQL" if postgres else "SQLite"
    print(f"load: preparing throwaway {engine} databases", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "migrate", "--database", "stripe_sandbox", "--noinput", "-v", "0")
    manage(env, "sandbox_seed_demo")
    manage(env, "load_demo_data")

    log_path = Path(args.log) if args.log else workdir / "serve.log"
    log = log_path.open("w")
    stack = subprocess.Popen(
        [str(ROOT / "scripts" / "serve")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base, stack)
        mail = MailWatcher(log_path)
        print(
            f"load: {users} users ({sellers} sellers) for {duration:.0f} s on {base} ({engine})",
            flush=True,
        )
        stats = Stats()
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=seller_journey, args=(base, stats, deadline))
            for _ in range(sellers)
        ] + [
            threading.Thread(
                target=buyer_journey, args=(base, stats, deadline, args.decline_share, mail)
            )
            for _ in range(users - sellers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + 120)
        load_seconds = time.monotonic() - started

        settle_deadline = time.monotonic() + args.settle_timeout
        report = settle_report(env)
        while report["complete"] < report["payments"] and time.monotonic() < settle_deadline:
            time.sleep(2)
            report = settle_report(env)
        probed = probe(base, args.probe_concurrency, args.probe_seconds)
        mail.stop()
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        log.close()
    emails = order_emails_in_log(log_path.read_text())
    if postgres:
        postgres_recreate(app_db, drop_only=True)
        postgres_recreate(sandbox_db, drop_only=True)

    print_report(stats, load_seconds, probed)
    requests_total = sum(len(values) for values in stats.latencies.values())
    errors_total = sum(stats.errors.values())
    all_latencies = [value for values in stats.latencies.values() for value in values]
    # A payment is lost unless it became exactly one paid order with one receipt and one sale
    # email; a receipt or sale email beyond one per paid order (a duplicate) counts as lost too.
    lost = (
        report["payments"]
        - report["complete"]
        + max(0, emails["receipt"] - report["paid_orders"])
        + max(0, emails["sale"] - report["paid_orders"])
    )
    if stats.samples:
        print("errors (first ones):")
        for sample in stats.samples:
            print(f"  {sample}")
    print(f"stack log: {log_path}")
    print(
        f"load: users {users}, requests {requests_total}, errors {errors_total}, "
        f"p95 {percentile(all_latencies, 0.95):.0f} ms, purchases {stats.purchases}, "
        f"paid orders {report['paid_orders']}, emails {emails['receipt'] + emails['sale']}, "
        f"lost {lost}"
    )
    return 0 if errors_total == 0 and lost == 0 else 1


def print_report(stats: Stats, seconds: float, probed: dict[str, dict]) -> None:
    print()
    print(
        f"{'step':<28} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
    )
    for step, values in stats.latencies.items():
        print(
            f"{step:<28} {len(values):>8} {stats.errors[step]:>6} {len(values) / seconds:>7.1f} "
            f"{percentile(values, 0.5):>7.0f} {percentile(values, 0.95):>7.0f} "
            f"{percentile(values, 0.99):>7.0f}"
        )
    print(
        f"(milliseconds; {seconds:.0f} s of load; sign-ups {stats.signups}, "
        f"declined payments {stats.declines})"
    )
    print()
    trivial = probed["trivial view (/robots.txt)"]
    print(
        f"{'probe, alone':<28} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50':>7} "
        f"{'p95':>7} {'cost':>7}"
    )
    for name, row in probed.items():
        cost = trivial["throughput"] / row["throughput"] if row["throughput"] else float("inf")
        print(
            f"{name:<28} {row['requests']:>8} {row['errors']:>6} {row['throughput']:>7.1f} "
            f"{row['p50']:>7.1f} {row['p95']:>7.1f} {cost:>6.2f}×"
        )
    print("(cost = the trivial view's throughput ÷ this one's, same stack and concurrency)")
    print()


if __name__ == "__main__":
    sys.exit(main())
