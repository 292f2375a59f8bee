"""Benchmark the dashboards at 1,000 and at 100,000 sales, in a throwaway database.

The command never touches the configured database: it creates two test databases beside it
(temporary SQLite files, or `test_<name>_small` / `test_<name>_large` on PostgreSQL), seeds them
with bulk inserts, times every dashboard page and partial through the full middleware stack with
the test client, alternating between the two databases request by request so that load from
other processes hits both sizes alike, and drops both databases at the end. Each database keeps
one connection open, as a server with persistent connections does.

Sales are seeded at a constant rate (25 a day across the platform), so the larger data set is a
longer history rather than a busier month: the 100,000-sale run is the same marketplace eleven
years on. A page that reads only what it shows should cost the same at both sizes. Disputes stay
open only for sales of the last 90 days, as real disputes are settled within weeks.
"""

import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from django.utils import timezone

from accounts.models import StripeAccount, User
from catalog.models import Course
from catalog.money import percent_of
from checkout.models import Membership, MembershipOffer, Order, Refund
from checkout.services.sale_totals import sale_totals_rebuild


def trivial(request):
    return HttpResponse("ok")


# The site's URLs plus the trivial view every timing is compared with.
urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include(settings.ROOT_URLCONF)),
]

SALES_PER_DAY = 25
TIME_ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
STATUS_WEIGHTS = [
    (Order.Status.PAID, 92),
    (Order.Status.PARTIALLY_REFUNDED, 3),
    (Order.Status.REFUNDED, 4),
    (Order.Status.DISPUTED, 1),
]
BATCH = 5000
DISPUTE_WINDOW = dt.timedelta(days=90)
# One membership for every ten sales, each with its first invoice as a sale; most still live.
SALES_PER_MEMBERSHIP = 10
MEMBERSHIP_STATUS_WEIGHTS = [
    (Membership.Status.ACTIVE, 80),
    (Membership.Status.PAST_DUE, 5),
    (Membership.Status.CANCELED, 15),
]


class Command(BaseCommand):
    help = "Time the dashboards at two data sizes in throwaway databases and print a table."
    # Some installed apps' system checks open the configured database; this command must not.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--small", type=int, default=1_000)
        parser.add_argument("--large", type=int, default=100_000)
        parser.add_argument("--sellers", type=int, default=50)
        parser.add_argument("--buyers", type=int, default=20_000)
        parser.add_argument("--repeats", type=int, default=100)
        parser.add_argument(
            "--keep", action="store_true", help="Keep the databases afterwards, to EXPLAIN queries."
        )

    def handle(self, *args, **options):
        self.now = timezone.now()
        vendor = connection.vendor
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        original_name = connection.settings_dict["NAME"]
        folder = tempfile.mkdtemp(prefix="dashboards-bench-")
        created: list[str] = []
        try:
            sizes = {"small": options["small"], "large": options["large"]}
            for label, count in sizes.items():
                created.append(self._create_database(vendor, folder, label, original_name))
                self.stdout.write(f"Throwaway {vendor} database for {count:,} sales: {created[-1]}")
                started = time.perf_counter()
                self._seed(options, count)
                self.stdout.write(f"  seeded in {time.perf_counter() - started:.1f}s")
            with override_settings(ROOT_URLCONF=__name__):
                timings = self._time_interleaved(
                    dict(zip(sizes, created, strict=True)), options["repeats"]
                )
            self._print_table(vendor, options, timings["small"], timings["large"])
        finally:
            for name in created:
                self._use(name)
                connection.creation.destroy_test_db(
                    original_name, verbosity=0, keepdb=options["keep"]
                )
            if options["keep"]:
                self.stdout.write(f"Kept: {', '.join(created)}")
            else:
                shutil.rmtree(folder, ignore_errors=True)

    def _create_database(self, vendor: str, folder: str, label: str, original_name: str) -> str:
        """Django's test database machinery, so the configured database is never written."""
        self._use(original_name)
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if vendor == "sqlite":
            test_settings["NAME"] = os.path.join(folder, f"bench-{label}.sqlite3")
        else:
            test_settings["NAME"] = f"test_{original_name}_{label}"
        return connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )

    def _use(self, name: str) -> None:
        if connection.settings_dict["NAME"] != name:
            connection.close()
            connection.settings_dict["NAME"] = name

    def _seed(self, options, count: int) -> None:
        # The same seed in both databases: the large one starts with the small one's sales.
        self.rng = random.Random(20261127)
        self._seed_people(options["sellers"], options["buyers"])
        small = min(count, options["small"])
        self._seed_sales(small, newest_days_ago=0)
        if count > small:
            self._seed_sales(count - small, newest_days_ago=small / SALES_PER_DAY)
        self._seed_memberships(count // SALES_PER_MEMBERSHIP)
        # Bulk inserts bypass checkout's services, so the all-time totals are built afterwards.
        sale_totals_rebuild()
        with connection.cursor() as cursor:
            # What autovacuum does on a live database: fresh statistics, and on PostgreSQL a
            # visibility map so that index-only scans need not visit the table.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    # --- Seeding ---------------------------------------------------------------------------------

    def _seed_people(self, sellers: int, buyers: int) -> None:
        password = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    email=f"seller{n}@bench.example",
                    full_name=f"Seller {n}",
                    is_seller=True,
                    time_zone=TIME_ZONES[n % len(TIME_ZONES)],
                    password=password,
                )
                for n in range(sellers)
            ],
            batch_size=BATCH,
        )
        User.objects.bulk_create(
            [User(email=f"buyer{n}@bench.example", password=password) for n in range(buyers)],
            batch_size=BATCH,
        )
        self.sellers = list(User.objects.filter(is_seller=True).order_by("id"))
        self.buyer_ids = list(
            User.objects.filter(is_seller=False).order_by("id").values_list("id", flat=True)
        )
        # Every tenth seller is still onboarding, so the staff page has someone to list.
        StripeAccount.objects.bulk_create(
            [
                StripeAccount(
                    seller=seller,
                    stripe_account_id=f"acct_bench{seller.pk:010d}",
                    account_type=StripeAccount.AccountType.EXPRESS,
                    charges_enabled=n % 10 != 9,
                    payouts_enabled=n % 10 != 9,
                    details_submitted=n % 10 != 9,
                )
                for n, seller in enumerate(self.sellers)
            ]
        )
        courses = []
        for n, seller in enumerate(self.sellers):
            for k in range(3):
                currency = "jpy" if n % 7 == 3 else ("eur" if k == 2 else "usd")
                courses.append(
                    Course(
                        title=f"Course {k} by seller {n}",
                        slug=f"bench-{n}-{k}",
                        description="Benchmark course.",
                        price_amount=4900 if currency == "jpy" else 1900 + 1000 * k,
                        currency=currency,
                        platform_fee_percent=Decimal("10.00"),
                        seller=seller,
                        is_published=True,
                    )
                )
        self.courses = Course.objects.bulk_create(courses)

    def _seed_sales(self, count: int, *, newest_days_ago: float) -> None:
        """`count` sales spread evenly over the days before `newest_days_ago`, newest first."""
        statuses = [status for status, _ in STATUS_WEIGHTS]
        weights = [weight for _, weight in STATUS_WEIGHTS]
        charge_types = list(Order.ChargeType.values)
        span = dt.timedelta(days=count / SALES_PER_DAY)
        newest = self.now - dt.timedelta(days=newest_days_ago) - dt.timedelta(seconds=1)
        rng = self.rng
        dispute_window_start = self.now - DISPUTE_WINDOW
        for start in range(0, count, BATCH):
            orders = []
            for _ in range(min(BATCH, count - start)):
                course = rng.choice(self.courses)
                status = rng.choices(statuses, weights)[0]
                paid_at = newest - span * rng.random()
                if status == Order.Status.DISPUTED and paid_at < dispute_window_start:
                    # Disputes are settled within weeks; old ones are no longer open.
                    status = Order.Status.PAID
                refunded = {
                    Order.Status.REFUNDED: course.price_amount,
                    Order.Status.PARTIALLY_REFUNDED: course.price_amount // 2,
                }.get(status, 0)
                orders.append(
                    Order(
                        buyer_id=rng.choice(self.buyer_ids),
                        course=course,
                        seller_id=course.seller_id,
                        status=status,
                        charge_type=rng.choice(charge_types),
                        amount=course.price_amount,
                        fee_amount=percent_of(course.price_amount, course.platform_fee_percent),
                        currency=course.currency,
                        refunded_amount=refunded,
                        stripe_account_id=f"acct_bench{course.seller_id:010d}",
                        payment_intent_id="pi_bench",
                        charge_id="ch_bench",
                        created_at=paid_at - dt.timedelta(minutes=3),
                        paid_at=paid_at,
                    )
                )
            Order.objects.bulk_create(orders)
            Refund.objects.bulk_create(
                [
                    Refund(
                        order=order,
                        amount=order.refunded_amount,
                        currency=order.currency,
                        status="succeeded",
                        created_at=order.paid_at + dt.timedelta(days=2),
                    )
                    for order in orders
                    if order.refunded_amount
                ]
            )

    def _seed_memberships(self, count: int) -> None:
        """Every seller offers a monthly USD membership (every third also yearly); `count`
        members joined over the same history, each with their first invoice as a sale."""
        offers = MembershipOffer.objects.bulk_create(
            [
                MembershipOffer(
                    seller=seller,
                    currency="usd",
                    monthly_amount=1900,
                    yearly_amount=19000 if n % 3 == 0 else None,
                    charge_type=Order.ChargeType.DESTINATION,
                    stripe_account_id=f"acct_bench{seller.pk:010d}",
                    monthly_price_id=f"price_bench{n}m",
                    yearly_price_id=f"price_bench{n}y" if n % 3 == 0 else "",
                )
                for n, seller in enumerate(self.sellers)
            ]
        )
        statuses = [status for status, _ in MEMBERSHIP_STATUS_WEIGHTS]
        weights = [weight for _, weight in MEMBERSHIP_STATUS_WEIGHTS]
        span = dt.timedelta(days=count * SALES_PER_MEMBERSHIP / SALES_PER_DAY)
        rng = self.rng
        for start in range(0, count, BATCH):
            memberships = []
            for _ in range(min(BATCH, count - start)):
                offer = rng.choice(offers)
                interval = "year" if offer.yearly_amount and rng.random() < 0.3 else "month"
                started = self.now - span * rng.random()
                status = rng.choices(statuses, weights)[0]
                memberships.append(
                    Membership(
                        buyer_id=rng.choice(self.buyer_ids),
                        seller_id=offer.seller_id,
                        offer=offer,
                        interval=interval,
                        amount=offer.amount_for(interval),
                        currency="usd",
                        platform_fee_percent=offer.platform_fee_percent,
                        charge_type=offer.charge_type,
                        stripe_account_id=offer.stripe_account_id,
                        price_id=offer.price_id_for(interval),
                        status=status,
                        started_at=started,
                        current_period_end=self.now + dt.timedelta(days=rng.randint(1, 30)),
                        past_due_since=(
                            self.now - dt.timedelta(days=2)
                            if status == Membership.Status.PAST_DUE
                            else None
                        ),
                        ended_at=(
                            started + (self.now - started) * rng.random()
                            if status == Membership.Status.CANCELED
                            else None
                        ),
                        created_at=started,
                    )
                )
            memberships = Membership.objects.bulk_create(memberships)
            Order.objects.bulk_create(
                [
                    Order(
                        buyer_id=membership.buyer_id,
                        course=None,
                        membership=membership,
                        invoice_id=f"in_bench{membership.pk:012d}",
                        seller_id=membership.seller_id,
                        status=Order.Status.PAID,
                        charge_type=membership.charge_type,
                        amount=membership.amount,
                        fee_amount=percent_of(membership.amount, membership.platform_fee_percent),
                        currency="usd",
                        stripe_account_id=membership.stripe_account_id,
                        payment_intent_id="pi_bench",
                        charge_id="ch_bench",
                        created_at=membership.started_at,
                        paid_at=membership.started_at,
                    )
                    for membership in memberships
                ]
            )

    # --- Timing ----------------------------------------------------------------------------------

    def _endpoints(self) -> list[tuple[str, list[tuple[Client, str, dict]]]]:
        """Each endpoint with the requests it cycles through (several users, their own data)."""
        tz_today = {}
        sellers = list(User.objects.filter(is_seller=True).order_by("id")[:10])
        seller_clients, buyer_clients, staff = {}, [], Client()
        for seller in sellers:
            client = Client()
            client.force_login(seller)
            seller_clients[seller.pk] = client
            tz_today[seller.pk] = self.now.astimezone(ZoneInfo(seller.time_zone)).date()
        recent = list(
            Order.objects.filter(paid_at__isnull=False)
            .order_by("-paid_at")
            .values("pk", "buyer_id", "seller_id", "paid_at")[:400]
        )
        buyers = []
        for row in recent:
            if row["buyer_id"] not in {pk for pk, _ in buyers}:
                buyers.append((row["buyer_id"], row["pk"]))
            if len(buyers) == 10:
                break
        for buyer_id, order_pk in buyers:
            client = Client()
            client.force_login(User.objects.get(pk=buyer_id))
            buyer_clients.append((client, order_pk))
        staff_user, _ = User.objects.get_or_create(
            email="staff@bench.example", defaults={"is_staff": True}
        )
        staff.force_login(staff_user)
        latest = {row["seller_id"]: row for row in reversed(recent)}
        hx = {"HTTP_HX_REQUEST": "true"}
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

        def per_seller(make):
            return [
                (seller_clients[seller.pk], *make(seller))
                for seller in sellers
                if seller.pk in latest
            ]

        since = {
            pk: (row["paid_at"] - epoch) // dt.timedelta(microseconds=1)
            for pk, row in latest.items()
        }
        return [
            ("trivial view (baseline)", per_seller(lambda s: ("/bench/trivial/", {}))),
            ("sales page, last 30 days", per_seller(lambda s: ("/dashboard/sales/", {}))),
            ("sales page, all time", per_seller(lambda s: ("/dashboard/sales/?period=all", {}))),
            (
                "sales partial: status filter, page 2",
                per_seller(lambda s: ("/dashboard/sales/?status=paid&page=2", hx)),
            ),
            (
                "sales partial: sort by amount, page 2",
                per_seller(lambda s: ("/dashboard/sales/?sort=-amount&page=2", hx)),
            ),
            (
                "sales partial: membership sales, page 2",
                per_seller(lambda s: ("/dashboard/sales/?kind=membership&page=2", hx)),
            ),
            # Memberships are seeded at a steady rate too, so the last 30 days hold as many
            # membership sales at both sizes: the filter's cost without the page filling up.
            (
                "sales partial: membership sales, last 30 days",
                per_seller(
                    lambda s: (
                        "/dashboard/sales/?kind=membership&date_from="
                        f"{tz_today[s.pk] - dt.timedelta(days=29):%Y-%m-%d}",
                        hx,
                    )
                ),
            ),
            (
                "sales partial: one-off sales, page 2",
                per_seller(lambda s: ("/dashboard/sales/?kind=one_off&page=2", hx)),
            ),
            (
                "sales partial: buyer email search",
                per_seller(lambda s: ("/dashboard/sales/?q=buyer12", hx)),
            ),
            # The search above finds about one sale per seller at 1,000 sales and a full page at
            # 100,000; this one fills the page at both sizes, isolating the search's own cost.
            (
                "sales partial: email search matching every buyer",
                per_seller(lambda s: ("/dashboard/sales/?q=buyer", hx)),
            ),
            (
                "new-sales poll (nothing new)",
                per_seller(lambda s: (f"/dashboard/sales/new/?since={since[s.pk]}", {})),
            ),
            (
                "sale detail",
                per_seller(lambda s: (f"/dashboard/sales/{latest[s.pk]['pk']}/", {})),
            ),
            (
                "CSV export, last 30 days",
                per_seller(
                    lambda s: (
                        "/dashboard/sales/export.csv?date_from="
                        f"{tz_today[s.pk] - dt.timedelta(days=29):%Y-%m-%d}",
                        {},
                    )
                ),
            ),
            (
                "purchases page",
                [(client, "/dashboard/purchases/", {}) for client, _ in buyer_clients],
            ),
            (
                "purchases partial: status filter",
                [(client, "/dashboard/purchases/?status=paid", hx) for client, _ in buyer_clients],
            ),
            (
                "receipt",
                [(client, f"/dashboard/purchases/{pk}/", {}) for client, pk in buyer_clients],
            ),
            ("platform page, last 30 days", [(staff, "/dashboard/platform/", {})]),
            ("platform page, all time", [(staff, "/dashboard/platform/?period=all", {})]),
        ]

    def _time_interleaved(self, databases: dict[str, str], repeats: int) -> dict:
        """Time each endpoint on both databases back to back, in alternating order.

        Both databases stay connected (the default alias is pointed at one or the other between
        requests), so a burst of load from another process on the machine falls on both sizes
        alike instead of on whichever size happened to be measured at that moment.
        """
        original = connections[DEFAULT_DB_ALIAS]
        wrappers = {
            label: original.__class__({**original.settings_dict, "NAME": name}, DEFAULT_DB_ALIAS)
            for label, name in databases.items()
        }
        try:
            endpoints = {}
            for label, wrapper in wrappers.items():
                connections[DEFAULT_DB_ALIAS] = wrapper
                endpoints[label] = self._endpoints()
            timings = {label: {name: [] for name, _ in endpoints[label]} for label in databases}
            warmup = 3
            for round_number in range(warmup + repeats):
                for index in range(len(endpoints["small"])):
                    labels = list(databases)
                    if (round_number + index) % 2:
                        labels.reverse()
                    for label in labels:
                        connections[DEFAULT_DB_ALIAS] = wrappers[label]
                        name, requests = endpoints[label][index]
                        elapsed = self._time_request(*requests[round_number % len(requests)])
                        if round_number >= warmup:
                            timings[label][name].append(elapsed)
            return timings
        finally:
            for wrapper in wrappers.values():
                wrapper.close()
            connections[DEFAULT_DB_ALIAS] = original

    def _time_request(self, client: Client, url: str, headers: dict) -> float:
        """Milliseconds from request to the last byte of the response."""
        started = time.perf_counter()
        response = client.get(url, **headers)
        if response.streaming:
            b"".join(response.streaming_content)
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 204):
            raise RuntimeError(f"{url} answered {response.status_code}")
        return elapsed * 1000

    def _print_table(self, vendor: str, options, small: dict, large: dict) -> None:
        def p95(values: list[float]) -> float:
            return statistics.quantiles(values, n=20, method="inclusive")[18]

        base_small = p95(small["trivial view (baseline)"])
        base_large = p95(large["trivial view (baseline)"])
        self.stdout.write("")
        self.stdout.write(
            f"Dashboards on {vendor}: {options['sellers']} sellers, {options['buyers']:,} buyers, "
            f"{options['repeats']} timed requests each; ms of server time (test client, full "
            "middleware); × trivial = p95 / p95 of the trivial view in the same run."
        )
        small_label, large_label = f"{options['small']:,}", f"{options['large']:,}"
        self.stdout.write("")
        self.stdout.write(
            f"| Endpoint | median @{small_label} | p95 @{small_label} | × trivial | "
            f"median @{large_label} | p95 @{large_label} | × trivial | p95 growth |"
        )
        self.stdout.write("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in small:
            s95, l95 = p95(small[name]), p95(large[name])
            self.stdout.write(
                f"| {name} | {statistics.median(small[name]):.1f} | {s95:.1f} | "
                f"{s95 / base_small:.1f} | {statistics.median(large[name]):.1f} | {l95:.1f} | "
                f"{l95 / base_large:.1f} | {l95 / s95:.2f}× |"
            )
