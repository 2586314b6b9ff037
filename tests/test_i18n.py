import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "direction", "phrase"),
    [
        ("vi", "ltr", "Đăng nhập"),
        ("en", "ltr", "Log in"),
        ("fa", "rtl", "ورود"),
    ],
)
def test_home_page_in_each_language(client, language, direction, phrase):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    html = client.get(reverse("home")).text
    assert f'lang="{language}"' in html
    assert f'dir="{direction}"' in html
    assert phrase in html
    if direction == "rtl":
        assert "bootstrap.rtl.min.css" in html


def test_vietnamese_is_the_default(client):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="").text
    assert 'lang="vi"' in html


def test_compiled_catalogues_are_committed():
    for language in ("vi", "fa"):
        assert (settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.mo").exists()
