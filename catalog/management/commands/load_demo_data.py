from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import StripeAccount, User
from catalog.models import Course
from checkout.models import MembershipOffer

DEMO_PASSWORD = "justatest"

# The sandbox's `manage.py sandbox_seed_demo` creates this Standard account on its side, so the
# demo seller can be paid right away; seller2 stays unconnected to try the Connect flows.
DEMO_CONNECTED_SELLER = "seller@example.com"
DEMO_SANDBOX_ACCOUNT_ID = "acct_1DemoSellerSandbox"

DEMO_USERS = [
    {
        "email": "admin@example.com",
        "full_name": "Ada Admin",
        "is_staff": True,
        "is_superuser": True,
    },
    {"email": "seller@example.com", "full_name": "Grace Hopper", "is_seller": True},
    {"email": "seller2@example.com", "full_name": "Alan Turing", "is_seller": True},
    {"email": "buyer@example.com", "full_name": "Barbara Buyer"},
]

# seller@example.com's membership: every one of their courses for $19 a month or $190 a year.
DEMO_MEMBERSHIP = {"currency": "usd", "monthly_amount": 1900, "yearly_amount": 19000}

# What a few demo courses cover (the course page lists it); the others have no outline.
DEMO_OUTLINES = {
    "Django from Zero to Deployed": "Models, migrations and the admin\nForms and validation\n"
    "Log-in, sign-up and permissions\nTests that catch real bugs\nA production deploy",
    "Payments with Stripe Connect": "Connecting sellers' accounts\nDirect, destination and "
    "separate charges\nPlatform fees and refunds\nWebhooks you can trust",
    "Writing Tests That Matter": "Tests that state behaviour\nFactories instead of fixtures\n"
    "Browser tests that do not flake",
}

# (seller, title, price in minor units, currency, description)
DEMO_COURSES = [
    (
        "seller@example.com",
        "Django from Zero to Deployed",
        4900,
        "usd",
        "Build and ship a real Django app: models, forms, auth, tests and a production deploy.",
    ),
    (
        "seller@example.com",
        "HTMX for Server-Side Developers",
        2900,
        "usd",
        "Partial page updates, live search and infinite scroll without a JavaScript framework.",
    ),
    (
        "seller@example.com",
        "Payments with Stripe Connect",
        7900,
        "usd",
        "Marketplaces done right: onboarding, charge types, fees, webhooks and refunds.",
    ),
    (
        "seller@example.com",
        "PostgreSQL Performance Basics",
        3900,
        "eur",
        "Read query plans, pick the right index and keep a growing table fast.",
    ),
    (
        "seller@example.com",
        "Writing Tests That Matter",
        1900,
        "gbp",
        "Test behaviour, not implementation: factories, fixtures and browser tests.",
    ),
    (
        "seller2@example.com",
        "Computability for Curious Programmers",
        3500,
        "usd",
        "Turing machines, the halting problem and why some bugs can never be found automatically.",
    ),
    (
        "seller2@example.com",
        "Cryptography Essentials",
        5900,
        "usd",
        "Hashes, signatures and key exchange explained with working Python examples.",
    ),
    (
        "seller2@example.com",
        "Japanese Tea Ceremony Online",
        6000,
        "jpy",
        "A calm introduction to chadō, filmed in Kyoto, with a printable guide.",
    ),
    (
        "seller2@example.com",
        "Machine Learning Without the Hype",
        4500,
        "usd",
        "Linear models, trees and honest evaluation before you reach for deep learning.",
    ),
]


class Command(BaseCommand):
    help = "Create the demo users and courses (safe to run again: nothing is duplicated)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for spec in DEMO_USERS:
            fields = dict(spec)
            email = fields.pop("email")
            user, created = User.objects.get_or_create(email=email, defaults=fields)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            # Sign-up verifies addresses by email; the demo addresses count as verified.
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            users[email] = user
        for seller_email, title, price, currency, description in DEMO_COURSES:
            Course.objects.get_or_create(
                title=title,
                seller=users[seller_email],
                defaults={
                    "slug": _slug(title),
                    "description": description,
                    "content": f"Welcome to “{title}”. Lesson 1 starts here.",
                    "outline": DEMO_OUTLINES.get(title, ""),
                    "price_amount": price,
                    "currency": currency,
                    "is_published": True,
                },
            )
        if settings.STRIPE_SANDBOX_ENABLED:
            _link_demo_stripe_account(users[DEMO_CONNECTED_SELLER])
        # The connected demo seller offers a membership; its Stripe Product and Prices are made
        # when the first member subscribes (the sandbox is not serving while this runs).
        MembershipOffer.objects.get_or_create(
            seller=users[DEMO_CONNECTED_SELLER],
            currency=DEMO_MEMBERSHIP["currency"],
            defaults=DEMO_MEMBERSHIP,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: password for every login is {DEMO_PASSWORD!r}.")
        )


def _link_demo_stripe_account(seller: User) -> None:
    """Link the demo seller to the sandbox's demo account unless a person already changed it."""
    StripeAccount.objects.get_or_create(
        seller=seller,
        defaults={
            "stripe_account_id": DEMO_SANDBOX_ACCOUNT_ID,
            "account_type": StripeAccount.AccountType.STANDARD,
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "requirements_due": [],
        },
    )


def _slug(title: str) -> str:
    from django.utils.text import slugify

    return slugify(title)
