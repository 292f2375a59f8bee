"""allauth hooks: its emails go through the task worker instead of the request."""

from allauth.account.adapter import DefaultAccountAdapter

from accounts.tasks import account_email_send


class AccountAdapter(DefaultAccountAdapter):
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
