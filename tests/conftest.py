"""Shared fixtures: the tree and the named personas every access test uses.

The tree (the pre-2025 three levels, and one 2025 ward straight under the city):

    Hà Nội (city)
    ├── Cầu Giấy district
    │   └── Nghĩa Tân ward ........ office A (desk A1, staff Lan)
    ├── Nam Từ Liêm district
    │   └── Mỹ Đình 1 ward ........ office B
    └── Phường Ba Đình (2025) ..... office C

Personas: anonymous, alice (ward A official, manager), bob (ward B official),
dora (district official over A, viewer), carol (city official, viewer), ivan (inspector
over the Cầu Giấy district, no office membership), admin (superuser).

Surveys: one question bank (`bank`) and the survey versions built from it
(`kiosk_version`, `full_version`, the index survey `version` with its `rate` helper;
`tests.factories.survey_version` for others).
Languages: `english` for a test in English, `in_language("fa")` for any other; both
switch the test's own code and its test client.
"""

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from offices.models import Desk, Office, Role, StaffMember
from tests import fast_db
from tests.factories import (
    ChoiceFactory,
    MembershipFactory,
    QuestionFactory,
    UserFactory,
    make_new_tree,
    make_response,
    survey_version,
)
from tests.hardening import tally

fast_db.install()  # cheaper emptying after transactional tests, a cloned test database

# Where PYTHONDONTWRITEBYTECODE is set (this project's machines and CI set it), every
# Python process the suite starts (each xdist worker, and each `manage.py`, gunicorn and
# pytest that a test starts) would compile the project's modules, and pytest rewrite ~170
# test modules, from source again: collecting the suite costs ~8 s of CPU a worker instead
# of ~3 s. So the suite writes bytecode (into `__pycache__/`, which git ignores).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

CHROMIUM = "/usr/bin/chromium"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path_factory):
    """Uploaded and private files (inspection attachments) land in a temporary folder, never
    the repo; pytest's base folder is per xdist worker, so workers never share files."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.getbasetemp() / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in the default language (settings.LANGUAGE_CODE).

    A request through LocaleMiddleware activates its language in the thread that served it
    and nothing deactivates it, so without this a test after a Persian request would run
    in Persian: order dependence, which pytest-xdist's shuffled order turns into failures.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@dataclass
class Tree:
    city: object
    district_a: object
    ward_a: object
    district_b: object
    ward_b: object
    ward_c: object
    office_a: object
    office_b: object
    office_c: object
    desk_a: object
    staff_a: object


TREE_UNITS = {
    ("01", "Thành phố Hà Nội", "province"): {
        ("HN-CG", "Quận Cầu Giấy", "district"): {("HN-CG-NT", "Phường Nghĩa Tân", "ward"): {}},
        ("HN-NTL", "Quận Nam Từ Liêm", "district"): {
            ("HN-NTL-MD1", "Phường Mỹ Đình 1", "ward"): {}
        },
        ("00004", "Phường Ba Đình", "ward"): {},
    }
}


def build_tree() -> Tree:
    """Hà Nội with two districts of a ward each and a ward of its own, an office in each
    ward, a desk and an officer in ward A's office (a few INSERTs: every test builds it)."""
    units = make_new_tree(TREE_UNITS)
    offices = Office.objects.bulk_create(
        [
            Office(unit=units["HN-CG-NT"], name="Một cửa Nghĩa Tân"),
            Office(unit=units["HN-NTL-MD1"], name="Một cửa Mỹ Đình 1"),
            Office(unit=units["00004"], name="Trung tâm HCC Ba Đình"),
        ]
    )
    desk_a = Desk.objects.create(office=offices[0], number="01", name="Tư pháp - Hộ tịch")
    staff_a = StaffMember.objects.create(
        office=offices[0], desk=desk_a, full_name="Nguyễn Thị Lan", title="Công chức"
    )
    return Tree(
        units["01"],
        units["HN-CG"],
        units["HN-CG-NT"],
        units["HN-NTL"],
        units["HN-NTL-MD1"],
        units["00004"],
        *offices,
        desk_a,
        staff_a,
    )


@pytest.fixture
def tree(db) -> Tree:
    return build_tree()


def _member(username: str, unit, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def alice(tree):
    """Official of ward A (Nghĩa Tân), manager."""
    return _member("alice", tree.ward_a, Role.MANAGER)


@pytest.fixture
def bob(tree):
    """Official of ward B (Mỹ Đình 1), manager."""
    return _member("bob", tree.ward_b, Role.MANAGER)


@pytest.fixture
def dora(tree):
    """District official over ward A (Cầu Giấy), read-only viewer."""
    return _member("dora", tree.district_a, Role.VIEWER)


@pytest.fixture
def carol(tree):
    """City official (Hà Nội), viewer."""
    return _member("carol", tree.city, Role.VIEWER)


@pytest.fixture
def admin_user(tree):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def ivan(tree):
    """Inspector over Cầu Giấy district (ward A below it); no office membership."""
    from inspections.models import Inspector

    user = UserFactory(username="ivan")
    Inspector.objects.create(user=user, unit=tree.district_a, note="Thanh tra quận")
    return user


@pytest.fixture
def client_for(client):
    """Log a persona in on the test client: client_for(alice).get(...)."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- Languages -----------------------------------------------------------------


@pytest.fixture
def in_language(client):
    """in_language("fa"): from then on the test's own code (labels, forms) and its test
    client (Accept-Language) use that language; the default is restored after the test."""
    with contextlib.ExitStack() as stack:

        def switch(code: str):
            stack.enter_context(translation.override(code))
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = code
            return client

        yield switch


@pytest.fixture
def english(in_language):
    """The test in English (the default language is Vietnamese): assertions read msgids."""
    in_language("en")


# --- Surveys: one question bank, and the versions built from it ----------------------


@dataclass
class Bank:
    """Questions of every kind; `bank["access"]` is `bank.access`."""

    overall: object  # scale 1–5, officials factor, asks for reasons when low
    polite: object  # yes/no conduct question, asks for reasons
    reasons: object  # choices: slow, rude
    slow: object
    rude: object
    comment: object  # free text
    access: object  # one scale question per SIPAS factor
    procedures: object
    officials: object
    results: object
    greet: object  # yes/no conduct question
    visit: object  # a single choice: first, again
    local: object  # scale, for a second (district or office) survey

    def __getitem__(self, name: str):
        return getattr(self, name)


# The bank's questions: code and fields beyond QuestionFactory's defaults, in the order
# they are made; "reasons" names the reasons question by its code.
BANK_QUESTIONS = {
    "reasons": {"kind": "multi", "factor": "", "text_vi": "Điều gì chưa tốt?"},
    "visit": {"kind": "choice", "factor": "", "text_vi": "Lần thứ mấy?"},
    "overall": {
        "kind": "scale5",
        "factor": "officials",
        "reasons": "reasons",
        "text_vi": "Ông/Bà hài lòng thế nào?",
        "text_en": "How satisfied are you?",
        "text_fa": "چقدر راضی هستید؟",
    },
    "polite": {"kind": "yesno", "factor": "conduct", "reasons": "reasons"},
    "comment": {"kind": "text", "factor": ""},
    "access": {"factor": "access", "text_vi": "Tiếp cận dịch vụ"},
    "procedures": {"factor": "procedures"},
    "officials": {"factor": "officials", "reasons": "reasons"},
    "results": {"factor": "results"},
    "greet": {"kind": "yesno", "factor": "conduct"},
    "local": {"kind": "scale5", "factor": "access"},
}
BANK_CHOICES = {  # code: question's code and the other fields
    "slow": ("reasons", {"text_vi": "Chờ lâu", "text_en": "Long wait", "position": 0}),
    "rude": ("reasons", {"text_vi": "Thái độ", "text_en": "Attitude", "position": 1}),
    "first": ("visit", {"text_vi": "Lần đầu", "position": 0}),
    "again": ("visit", {"text_vi": "Lần sau", "position": 1}),
}


def build_bank() -> Bank:
    """`Bank`'s questions and choices in a few INSERTs (every test with a survey makes them).
    As QuestionFactory gets or creates by code, a question a test made before is kept."""
    from surveys.models import Choice, Question

    questions = {q.code: q for q in Question.objects.filter(code__in=BANK_QUESTIONS)}
    for pointing in (False, True):  # the reasons question before those that point at it
        new = []
        for code, fields in BANK_QUESTIONS.items():
            if code in questions or ("reasons" in fields) != pointing:
                continue
            if pointing:
                fields = {**fields, "reasons": questions[fields["reasons"]]}
            new.append(QuestionFactory.build(code=code, **fields))
        questions.update({q.code: q for q in Question.objects.bulk_create(new)})
    choices = Choice.objects.bulk_create(
        ChoiceFactory.build(question=questions[question], code=code, **fields)
        for code, (question, fields) in BANK_CHOICES.items()
    )
    return Bank(
        **{code: questions[code] for code in BANK_QUESTIONS},
        slow=choices[0],
        rude=choices[1],
    )


@pytest.fixture
def bank(db) -> Bank:
    return build_bank()


@pytest.fixture
def kiosk_version(tree, bank):
    """Hà Nội's kiosk survey: overall (required), polite (required), comment (optional)."""
    return survey_version(
        tree.city, [(bank.overall, True), (bank.polite, True), (bank.comment, False)]
    )


@pytest.fixture
def full_version(tree, bank):
    """Hà Nội's phone survey: overall (required), polite (optional), comment (optional)."""
    return survey_version(
        tree.city,
        [(bank.overall, True), (bank.polite, False), (bank.comment, False)],
        variant="full",
    )


@pytest.fixture
def version(tree, bank):
    """Hà Nội's survey of the index: a question per factor, conduct, reasons, a comment."""
    order = ["access", "procedures", "officials", "results", "greet", "reasons", "comment"]
    return survey_version(tree.city, [bank[k] for k in order], required=False)


@pytest.fixture
def rate(version, bank):
    """rate(office, access=5, officials=2, reasons=["slow"], comment="…", when=…, …)."""

    def record(office, *, when=None, misuse=False, **answers):
        keep = ("desk", "staff", "channel", "id", "received_at", "completed")
        fields = {k: answers.pop(k) for k in keep if k in answers}
        scores = {}
        for code, value in answers.items():
            if code == "reasons":
                value = [bank[c] for c in value]
            scores[bank[code]] = value
        when = when or datetime(2026, 3, 10, 9, 0, tzinfo=HANOI)
        fields.setdefault("received_at", when)  # arrived as it was given (no offline queue)
        return make_response(version, office, scores, when=when, misuse=misuse, **fields)

    return record


# --- The run as a whole: parallel workers, and what is printed at the end -----------------


def _named_files_only(config) -> bool:
    """`pytest tests/x/test_y.py` or `…::test_z`: a developer's short run, not the suite."""
    args = [a for a in config.args if not a.startswith("-")]
    return bool(args) and all(".py" in a for a in args)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject.toml): one worker more than the cores this process may use, for
    the suite or a folder of it. A worker spends part of its time waiting, not computing: on
    subprocesses it started (`make run`, gunicorn, a throwaway PostgreSQL), on Chromium, on
    the database server; the extra worker fills that time. On the 2-core machine of
    2026-12-02, the whole suite took 151–215 s with 3 workers (eleven runs, median 171 s),
    202 and 217 s with 2, and 255 s with 4 (contention outweighs the waiting). Named test
    files run in this one process (starting workers, each with its own test database,
    costs more than it saves there). PYTEST_XDIST_AUTO_NUM_WORKERS or an explicit `-n N`
    still decide."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own implementation reads it
    if _named_files_only(config):
        return 0
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests marked `slow` (tens of seconds each) run first. A worker cannot share one
    long test, but it can share a queue: started first, the long ones overlap the short
    ones on the other worker (xdist's worksteal takes from the end of a queue), instead of
    leaving one worker alone with a long test at the end of the run. A stable sort: every
    worker computes the same order, as xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionfinish(session):
    """A worker hands its bad-input tally to the controller, which prints the total."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["hardening_tally"] = tally.counts()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    tally.merge(getattr(node, "workeroutput", {}).get("hardening_tally", {}))


def pytest_terminal_summary(terminalreporter, config):
    """The bad-input tally, then the machine's load next to the duration pytest prints last
    (once: in the controller under xdist, workers print nothing)."""
    if hasattr(config, "workerinput"):
        return
    from django.conf import settings

    tally.report(terminalreporter, settings.BASE_DIR)
    with contextlib.suppress(OSError):
        load = " ".join(open("/proc/loadavg").read().split()[:3])  # noqa: SIM115
        workers = getattr(config.option, "numprocesses", 0) or 0
        where = f", {workers} xdist workers" if workers else ", one process"
        terminalreporter.write_line(f"load average (1, 5, 15 min) at the end: {load}{where}")


# --- Browser tests --------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium; CI must have it, a newcomer's machine may skip with a reason."""
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    # Playwright's sync API runs an event loop in this thread; the live server
    # and ORM calls in the test itself are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    from django.conf import settings

    path = settings.BASE_DIR / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
