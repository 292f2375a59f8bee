"""Replace the catalog fragments' version (catalog/fragment_cache.py) when what they show changes.

Signals rather than calls in the services, because every way a course or a name changes must
count: the services, the admin, a shell. Only after the change commits: a page rendered in
between would otherwise read the old rows and store them under the new version.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import User
from catalog.fragment_cache import catalog_fragments_invalidate
from catalog.models import Course

# A log-in saves only this: the cards never show it.
IRRELEVANT_USER_FIELDS = frozenset({"last_login"})


def course_changed(sender, **kwargs) -> None:
    transaction.on_commit(catalog_fragments_invalidate)


def user_changed(sender, *, created: bool, update_fields=None, **kwargs) -> None:
    # A new user has no course yet; a log-in changes nothing a card shows.
    if created or (update_fields and set(update_fields) <= IRRELEVANT_USER_FIELDS):
        return
    transaction.on_commit(catalog_fragments_invalidate)


def connect() -> None:
    post_save.connect(course_changed, sender=Course, dispatch_uid="catalog-course-saved")
    post_delete.connect(course_changed, sender=Course, dispatch_uid="catalog-course-deleted")
    post_save.connect(user_changed, sender=User, dispatch_uid="catalog-user-saved")
