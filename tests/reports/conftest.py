"""Report tests read pages in English; the survey (`version`) and the `rate` helper are
shared, in tests/conftest.py."""

import pytest

from tests.conftest import HANOI  # noqa: F401  (report tests import it from here)


@pytest.fixture
def client(client):
    """Pages in English unless a test asks otherwise (assertions read the English msgids)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
