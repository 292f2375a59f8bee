from accounts.models import StripeAccount, User


def stripe_account_for_seller(*, seller: User) -> StripeAccount | None:
    """The seller's Stripe account row, connected or not; None for buyers and new sellers."""
    if not seller.is_authenticated or not seller.is_seller:
        return None
    return StripeAccount.objects.filter(seller=seller).first()
