"""Enumerations that several apps mean the same way."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a citizen reached us: a rating or a suggestion came by kiosk, QR code or web."""

    KIOSK = "kiosk", _("Kiosk")
    QR = "qr", _("QR code (own phone)")
    WEB = "web", _("Web")
