"""Signed tokens for the phone flow: the form's own token and the receipt's.

Both are signed with SECRET_KEY (django.core.signing), so a citizen cannot
forge a receipt for a dossier or backdate the time a form was opened.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.core import signing

from common.ids import time_ordered_uuid

RECEIPT_SALT = "surveys.receipt"
FORM_SALT = "surveys.rating-form"
RECEIPT_MAX_AGE = 180 * 24 * 3600  # a receipt can be rated for about six months
FORM_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Receipt:
    """One dossier's right to one rating, printed as a QR code on its receipt."""

    office_id: int
    dossier_code: str
    desk_id: int | None = None

    def dumps(self) -> str:
        payload = {"o": self.office_id, "c": self.dossier_code}
        if self.desk_id:
            payload["d"] = self.desk_id
        return signing.dumps(payload, salt=RECEIPT_SALT, compress=True)

    @classmethod
    def loads(cls, token: str) -> Receipt:
        """Raises signing.SignatureExpired or signing.BadSignature."""
        if len(token) > 500:
            raise signing.BadSignature("too long")
        payload = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
        try:
            office_id, code, desk_id = payload["o"], payload["c"], payload.get("d")
        except (TypeError, KeyError):
            raise signing.BadSignature("malformed") from None
        if not isinstance(office_id, int) or not isinstance(code, str) or not code:
            raise signing.BadSignature("malformed")
        return cls(office_id, code, desk_id if isinstance(desk_id, int) else None)


@dataclass(frozen=True)
class FormToken:
    """Carried by the phone form: its rating id (a double submit stores once), when it
    was opened (the minimum-time check), which versions it shows and the channel."""

    rating_id: uuid.UUID
    opened_at: float
    version_id: int
    extension_id: int | None
    channel: str

    @classmethod
    def new(cls, version_id: int, extension_id: int | None, channel: str) -> FormToken:
        return cls(time_ordered_uuid(), time.time(), version_id, extension_id, channel)

    def dumps(self) -> str:
        return signing.dumps(
            [str(self.rating_id), self.opened_at, self.version_id, self.extension_id, self.channel],
            salt=FORM_SALT,
        )

    @classmethod
    def loads(cls, raw: str | None) -> FormToken | None:
        if not raw or len(raw) > 500:
            return None
        try:
            rating_id, opened_at, version_id, extension_id, channel = signing.loads(
                raw, salt=FORM_SALT, max_age=FORM_MAX_AGE
            )
            return cls(uuid.UUID(rating_id), float(opened_at), version_id, extension_id, channel)
        except (signing.BadSignature, ValueError, TypeError):
            return None

    def seconds_open(self) -> float:
        return time.time() - self.opened_at
