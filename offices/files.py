"""Private files: stored outside the public media root, with no URL of their own.

Inspection attachments (and anything else that is not for everyone) are a
`PrivateFileField`: kept under PRIVATE_MEDIA_ROOT, and the file's `.url` is the
field's scoped view (`view_name`, called with the object's pk), so every widget and
page (the admin's too) links there and never to the file itself. The view checks
scope, then answers with `serve_private()`: Django sends the bytes, or, with
`PRIVATE_FILES_X_ACCEL_PREFIX` set, nginx does (`X-Accel-Redirect` to an `internal`
location; docs/deployment.md). Asking the storage itself for a URL is an error.
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any, NoReturn, cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.fields.files import FieldFile, ImageFieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage under PRIVATE_MEDIA_ROOT (read at each use: tests change it)."""

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    # No URL: Django's FileSystemStorage.url checks for None, which the stub's str omits.
    @cached_property
    def base_url(self) -> None:  # type: ignore[override]
        return None

    def url(self, name: str | None) -> NoReturn:
        raise ValueError("Private files have no URL: link to the view that serves them in scope.")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """For `FileField(storage=private_storage)` (a callable keeps migrations stable)."""
    return _storage


def serve_private(
    fieldfile: FieldFile, *, as_attachment: bool = True
) -> HttpResponse | FileResponse:
    """The response for a private file the caller has already checked the user may read."""
    name = fieldfile.name
    if not name:  # an empty field (a FieldFile is false exactly then)
        raise Http404
    filename = name.rsplit("/", 1)[-1]
    prefix = settings.PRIVATE_FILES_X_ACCEL_PREFIX
    if prefix:
        # Shown in the page (a photo): nginx sends it with the type we name here.
        guessed = None if as_attachment else mimetypes.guess_type(filename)[0]
        response = HttpResponse(content_type=guessed or "application/octet-stream")
        response["X-Accel-Redirect"] = iri_to_uri(prefix.rstrip("/") + "/" + name)
        disposition = "attachment" if as_attachment else "inline"
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{iri_to_uri(filename)}"
        return response
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=as_attachment, filename=filename)


if TYPE_CHECKING:
    # What the mixins below are mixed into, for the type checker.
    _FieldFileBase = FieldFile
    _FieldBase = models.FileField
else:
    _FieldFileBase = _FieldBase = object


class ScopedURL(_FieldFileBase):
    """The file's URL is its field's scoped view, called with the object's pk."""

    @property
    def url(self) -> str:
        if not self:
            raise ValueError(f"The '{self.field.name}' attribute has no file associated with it.")
        # Only a PrivateFieldMixin field makes these files (its attr_class).
        return reverse(cast(PrivateFieldMixin, self.field).view_name, args=[self.instance.pk])


class ScopedFieldFile(ScopedURL, FieldFile):
    pass


class ScopedImageFieldFile(ScopedURL, ImageFieldFile):
    pass


class PrivateFieldMixin(_FieldBase):
    def __init__(self, *args: Any, view_name: str = "", **kwargs: Any) -> None:
        self.view_name = view_name
        kwargs.setdefault("storage", private_storage)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["view_name"] = self.view_name
        return name, path, args, kwargs


class PrivateFileField(PrivateFieldMixin, models.FileField):
    """A FileField in private storage whose URL is the scoped view `view_name`."""

    attr_class = ScopedFieldFile


class PrivateImageField(PrivateFieldMixin, models.ImageField):
    """An ImageField (checked to be an image) in private storage, like PrivateFileField."""

    attr_class = ScopedImageFieldFile
