"""What checkout's services raise for a caller to show or to retry on."""


class CheckoutError(Exception):
    """A purchase or refund that our rules refuse; `user_message` is safe to show."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class CourseAlreadyOwned(CheckoutError):
    pass


class EventNotReady(Exception):
    """The event refers to something not recorded yet; answering 500 makes Stripe retry later."""
