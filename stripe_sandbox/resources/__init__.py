"""API resources. Each module registers its handlers on `stripe_sandbox.api.router` on import.

Add a new module here to make its endpoints live.
"""

from . import accounts, events  # noqa: F401
