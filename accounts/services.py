from django.db.models import QuerySet

from accounts.models import User


def user_update_profile(*, user: User, full_name: str, time_zone: str | None = None) -> User:
    user.full_name = full_name.strip()
    if time_zone is not None:
        user.time_zone = time_zone
    user.save(update_fields=["full_name", "time_zone"])
    return user


def users_set_seller(*, users: QuerySet[User], is_seller: bool) -> int:
    """Grant or withdraw selling rights.

    Withdrawing only stops new selling: courses and past sales stay, because buyers paid for them.
    """
    return users.update(is_seller=is_seller)
