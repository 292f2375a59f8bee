import factory
from allauth.account.models import EmailAddress

from accounts.models import StripeAccount, User

TEST_PASSWORD = "justatest-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        """Logging in needs a verified address (mandatory verification); pass
        `verified_email=False` for a user who has not confirmed theirs."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class SellerFactory(UserFactory):
    is_seller = True


class StripeAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StripeAccount

    seller = factory.SubFactory(SellerFactory)
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:012d}")
    account_type = StripeAccount.AccountType.STANDARD
    charges_enabled = True
    payouts_enabled = True
    details_submitted = True
