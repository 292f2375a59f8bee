"""allauth hooks: its emails go through the task worker, addresses fit the user table."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.tasks import account_email_send


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        """Email addresses may be up to 320 characters, but the user table keeps 254 (the
        longest one SMTP can deliver to). A longer one is refused here, on the form, instead of
        being cut short in the database."""
        limit = User._meta.get_field("email").max_length
        if len(email) > limit:
            raise ValidationError(
                f"This email address is too long: use one of at most {limit} characters."
            )
        return super().clean_email(email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request and its links are here), send later: a mail server that is
        down or slow no longer turns sign-up or a password reset into an error page."""
        message = self.render_mail(template_prefix, email, context)
        alternatives = [[content, mimetype] for content, mimetype in message.alternatives]
        # The database queue writes the task in the request's transaction, if any: a sign-up
        # that rolls back takes its email with it.
        account_email_send.enqueue(
            subject=message.subject,
            body=message.body,
            to=list(message.to),
            from_email=message.from_email,
            alternatives=alternatives,
        )
