from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's email addresses already sit under "Accounts" in the admin; two groups of one name
    # left staff guessing which holds what.
    verbose_name = "Users and Stripe accounts"
