"""E-mail backends for tests: an SMTP server that refuses some messages, as real ones do."""

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    """Refuses the first `FAILURES` messages it is given (class-level, across instances),
    then delivers to `mail.outbox` like the locmem backend."""

    FAILURES = 0
    refused = 0

    def send_messages(self, messages):
        cls = type(self)
        if cls.refused < cls.FAILURES:
            cls.refused += 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
