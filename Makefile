# Two commands for a newcomer: `make run` (set up everything and serve) and `make test`.
# With DATABASE_URL unset both use the embedded PostgreSQL in .pgdata/ (pgserver).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# A lighter demo, e.g. DEMO_RATINGS_ARGS="--months 1 --volume 0.05" (the killed-`make run` test).
DEMO_RATINGS_ARGS ?=

.PHONY: install migrate demo run test lint format bench bench-quick chaos messages db-stop clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

# Idempotent: every demo command updates in place, so running it twice changes nothing.
# load_demo_all runs the six load_demo* commands (load_demo, load_demo_surveys,
# load_demo_ratings, load_demo_suggestions, load_demo_inspections, load_demo_reform) in
# one process: Django starts once instead of six times.
demo: migrate
	$(PY) manage.py load_demo_all $(DEMO_RATINGS_ARGS)

# The same demo, then the addresses, the logins and a kiosk enrolment link.
run: migrate
	$(PY) manage.py load_demo_all $(DEMO_RATINGS_ARGS) --base-url http://$(HOST):$(PORT)
	$(PY) manage.py devserver $(HOST):$(PORT)  # the server and the job worker (qcluster)

# pytest's last line gives the duration ("… passed in 142.31s"); the load average is printed
# just above it (tests/conftest.py), since a figure from a busy machine means little alone.
test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# mypy imports the settings; a placeholder DATABASE_URL keeps it off the embedded server
	# (nothing connects to it).
	DATABASE_URL=$${DATABASE_URL:-postgres://lint@127.0.0.1:1/lint} $(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py

# The same benchmark at 100 k and 1 M ratings: a few minutes.
bench-quick: install
	BENCH_LARGE=1000000 BENCH_COMMAND="make bench-quick" $(PY) bench/run.py

# The full fault-injection run (nothing lost, nothing doubled); see docs/reliability.md.
chaos: install
	$(PY) -m tests.reliability.run_chaos

# Regenerate the gettext catalogues (vi, fa, en) and compile them; commit both .po and .mo.
messages: install
	$(PY) manage.py makemessages --locale vi --locale fa --locale en --ignore '.venv/*' --ignore 'bench/.venv*' --ignore 'staticfiles/*' --ignore 'artifacts/*' --no-location
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'bench/*'

# pg_ctl refuses to run as root; under root pgserver runs the server as the data folder's
# owner (the `pgserver` user), so stop it as that user.
db-stop:
	-@ctl=$$(ls $(VENV)/lib/python3*/site-packages/pgserver/pginstall/bin/pg_ctl); \
	owner=$$(stat -c %U .pgdata 2>/dev/null); \
	if [ "$$(id -u)" = 0 ] && [ -n "$$owner" ] && [ "$$owner" != root ]; then \
	  runuser -u "$$owner" -- "$$ctl" -D "$$(pwd)/.pgdata" stop; \
	else "$$ctl" -D .pgdata stop; fi

clean: db-stop
	rm -rf $(VENV) .pgdata staticfiles artifacts
