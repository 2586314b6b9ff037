"""Write docs/benchmarks.md from bench/out/results.json (also: python -m bench.report)."""
# ruff: noqa: E501 — table rows read better on one line

from __future__ import annotations

import json
import sys
from pathlib import Path


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _errors(m: dict) -> str:
    """non-2xx / errors / ratings the API flagged as misuse (bench/kiosk.lua counts them;
    "–" where the path has no such reply: the empty view, psycopg direct)."""
    non_2xx = sum(v for c, v in m.get("statuses", {}).items() if not c.startswith("2"))
    flagged = m.get("flagged")
    flagged_text = f"{flagged:,}" if flagged is not None else "–"
    return f"{non_2xx} / {m['errors'] + m.get('timeouts', 0)} / {flagged_text}"


def _row(label: str, load: str, m: dict) -> str:
    return (
        f"| {label} | {load} | {m['rps']:,.0f} | {_ms(m['p50_ms'])} | {_ms(m['p90_ms'])} | "
        f"{_ms(m['p99_ms'])} | {_errors(m)} | {m.get('load', float('nan')):.1f} |"
    )


def kiosk_section(k: dict) -> list[str]:
    empty, kiosk = k["empty_saturated"], k["kiosk_saturated"]
    paced_e, paced_k = k["empty_paced"], k["kiosk_paced"]
    direct, direct_paced = k.get("direct_saturated"), k.get("direct_paced")
    empty_ratio = kiosk["rps"] / empty["rps"]
    rows = [
        ("empty POST view", "saturated", empty),
        ("kiosk rating API", "saturated", kiosk),
        ("same writes, psycopg direct", "saturated", direct),
        ("empty POST view", "paced (≈1 rating/s per kiosk)", paced_e),
        ("kiosk rating API", "paced (≈1 rating/s per kiosk)", paced_k),
        ("same writes, psycopg direct", "paced (≈1 rating/s per kiosk)", direct_paced),
    ]
    lines = [
        "## 1. Kiosk submit under gunicorn, 100 concurrent kiosks",
        "",
        "| endpoint | load | requests/s | p50 | p90 | p99 | non-2xx / errors / flagged | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *(_row(label, load, m) for label, load, m in rows if m),
        "",
        *_io_table(rows),
    ]
    if direct:
        ratio = kiosk["rps"] / direct["rps"]
        lines.append(
            f"* **Kiosk API / the same transaction sent directly with psycopg: {ratio:.2f}** "
            f"(target ≥ 0.5: {_met(ratio >= 0.5)}{_why_direct(ratio)}); kiosk API / empty view: "
            f"{empty_ratio:.2f} (what a durable write costs against a view that touches nothing)."
        )
    else:
        lines.append(f"* Kiosk API / empty view: {empty_ratio:.2f}; the direct path was not run.")
    lines += [
        f"* **p99 of the kiosk API at 100 paced kiosks: {_ms(paced_k['p99_ms'])}** at load "
        f"average {_load_span(paced_k)} (target < 50 ms: "
        f"{_met(paced_k['p99_ms'] < 50)}{_why_p99(paced_k, paced_e, direct_paced, kiosk)}); saturated, every request "
        f"also waits its turn behind the other 99 (p99 {_ms(kiosk['p99_ms'])}).",
        f"* Ratings acknowledged with 201: {k['acknowledged_201']:,}; rows added to the database "
        f"by the API: {k['stored']:,}. {_in_flight(k)}",
        "",
    ]
    return lines


def _io_table(rows: list) -> list[str]:
    """What each run cost below PostgreSQL (bench/run.py `with_io`): reads that missed the
    kernel's page cache too, and the WAL written, per request. Results from before
    2026-12-08 have no such counters: no table."""
    measured = [(label, load, m) for label, load, m in rows if m and "io" in m and m["requests"]]
    if not measured:
        return []
    lines = [
        "| endpoint | load | requests | disk reads / request | read from disk | WAL / request |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, load, m in measured:
        io, n = m["io"], m["requests"]
        lines.append(
            f"| {label} | {load.split(' ')[0]} | {n:,} | {io['disk_reads'] / n:.2f} | "
            f"{io['disk_read_bytes'] / 2**20:,.1f} MB | {io['wal_bytes'] / n / 1024:.1f} kB |"
        )
    return [*lines, ""]


def _load_span(m: dict) -> str:
    """The 1-minute load average when a run started and when it ended (older results
    recorded only the end)."""
    end = f"{m.get('load', float('nan')):.1f}"
    return f"{m['load_before']:.1f} at its start, {end} at its end" if "load_before" in m else end


def _why_direct(ratio: float) -> str:
    if ratio >= 0.5:
        return ""
    return (
        " — the API also authenticates the kiosk, validates the payload against the survey "
        "version, checks desk and officer and the misuse window, and runs Django's request "
        "cycle in 4 threaded workers that share the 2 cores with PostgreSQL and the load "
        "generator"
    )


def _why_p99(
    kiosk: dict, empty: dict, direct: dict | None = None, saturated: dict | None = None
) -> str:
    if kiosk["p99_ms"] < 50:
        return ""
    if empty["p99_ms"] >= 50:
        return (
            f" — the empty view's p99 in the same conditions is {_ms(empty['p99_ms'])}: the tail "
            "comes from the shared machine's run queue, not from the rating path"
        )
    busy = ""
    if saturated and saturated.get("rps"):
        # How much of what this machine can do at all the paced load already asks of it.
        share = kiosk["rps"] / saturated["rps"]
        busy = (
            f"; {kiosk['rps']:,.0f} ratings/s is {share:.0%} of the {saturated['rps']:,.0f}/s the "
            "API reaches saturated, and at that share a rating often waits for a core behind "
            "others (on 2026-12-08 the tail stayed with no reads from disk and a fifth of the "
            "WAL: bench/notes.md)"
        )
    if direct and direct.get("p99_ms", 0) >= kiosk["p99_ms"]:
        return (
            f" — the same writes sent straight from psycopg, paced alike, had a p99 of "
            f"{_ms(direct['p99_ms'])} in this run: the tail is not the API's alone, but the "
            f"writes' and commits' on these 2 shared cores{busy}"
        )
    return f" — the tail of the rating path itself (its writes and commit on a shared CPU){busy}"


def _in_flight(k: dict) -> str:
    extra = k["stored"] - k["acknowledged_201"]
    runs = 3  # warm-up, saturated, paced
    if 0 <= extra <= runs * 100:
        return (
            f"The {extra} more are requests still in flight when wrk stopped its clock at the end "
            f"of each of the {runs} runs (at most 100 each): stored, not counted. Every request "
            "carried a new UUID, none was refused."
        )
    return f"**Unexplained difference of {extra}.**"


def page_section(k: dict) -> list[str]:
    page = k["page"]
    return [
        "## 7a. Kiosk page weight (Chromium, cache disabled)",
        "",
        f"* {page['requests']} requests, {page['bytes'] / 1024:.1f} KB on the wire "
        f"(targets ≤ 5 requests: {_met(page['requests'] <= 5)}, ≤ 60 KB: "
        f"{_met(page['bytes'] <= 60 * 1024)}); hosts: {', '.join(page['hosts'])} "
        f"(no third party: {_met(all(h.startswith('127.0.0.1') for h in page['hosts']))}).",
        *(f"  * `{u.split('127.0.0.1:8150', 1)[-1]}`" for u in page["urls"]),
        "",
    ]


def scopes_section(small: dict, large: dict) -> list[str]:
    if "scopes" not in small or "scopes" not in large:
        return []
    lines = [
        f"## 2. Monthly report pages of three scopes, month {small['report_month']}",
        "",
        f"| scope | offices | measure | {small['ratings']:,} ratings | {large['ratings']:,} "
        "ratings | ratio |",
        "|---|---:|---|---:|---:|---:|",
    ]
    verdicts = []
    for name, label in (("ward", "a ward"), ("province", "Hà Nội"), ("nation", "the country")):
        a, b = small["scopes"].get(name), large["scopes"].get(name)
        if not a or not b:
            verdicts.append(f"* {label}: not measured (no such unit in the generated data).")
            continue
        for measure, key in (
            ("page (HTML)", "page_ms"),
            ("data (build_monthly_report)", "data_ms"),
        ):
            lines.append(
                f"| {label} ({a['unit']}) | {a['offices']:,} | {measure} | {_ms(a[key])} | "
                f"{_ms(b[key])} | {_ratio(b[key], a[key])} |"
            )
        ratio = b["page_ms"] / a["page_ms"]
        verdict = (
            f"* **{label}: page at {large['ratings']:,} / at {small['ratings']:,} = {ratio:.2f}** "
            f"(target ≤ 1.5: {_met(ratio <= 1.5)}"
        )
        if ratio > 1.5:
            verdict += (
                "; a unit's trend, headline, reasons, map, fields and sub-units read the unit "
                "grain (shards × questions × values, whatever the offices); what still grows "
                "is read per office or per rating: the response rate's office-months, the "
                "flagged ratings counted by reason, and a ward's desk and officer tables"
            )
        verdicts.append(verdict + ").")
        if name == "nation":
            verdicts.append(
                f"* **National page at {large['ratings']:,}: {_ms(b['page_ms'])}** (target under "
                f"a second on this machine: {_met(b['page_ms'] < 1000)}"
                + (
                    ""
                    if b["page_ms"] < 1000
                    else "; the unit grain answers the trend and the ranking; the page still "
                    "lists every office (sub-units, response rate) and renders the tables"
                )
                + ")."
            )
    return [*lines, "", *verdicts, ""]


def report_section(small: dict, large: dict) -> list[str]:
    rows = [
        ("report page (HTML, all tables)", "page_ms"),
        ("report data (build_monthly_report)", "report_data_ms"),
        ("13-month trend, as the reports read it (unit grain)", "trend_rollup_ms"),
        ("same numbers from the daily roll-ups", "trend_daily_rollup_ms"),
        ("same numbers, plain GROUP BY over raw rows", "trend_raw_ms"),
    ]
    page_ratio = large["page_ms"] / small["page_ms"]
    trend_ratio = large["trend_rollup_ms"] / small["trend_rollup_ms"]
    raw_small = small["trend_raw_ms"] / small["trend_rollup_ms"]
    raw_large = large["trend_raw_ms"] / large["trend_rollup_ms"]
    return [
        f"## 3. Monthly report of Hà Nội in detail ({small['offices']} wards and communes), "
        f"month {small['report_month']}",
        "",
        f"| measure | {small['ratings']:,} ratings | {large['ratings']:,} ratings | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {_ms(small[key])} | {_ms(large[key])} | "
            f"{_ratio(large[key], small[key])} |"
            for label, key in rows
        ),
        f"| ratings in the report's 13 months (Hà Nội) | {small['ratings_in_window']:,} | "
        f"{large['ratings_in_window']:,} | {_ratio(large['ratings_in_window'], small['ratings_in_window'])} |",
        f"| daily roll-up rows read | {small['rollup_rows_in_window']:,} | "
        f"{large['rollup_rows_in_window']:,} | {_ratio(large['rollup_rows_in_window'], small['rollup_rows_in_window'])} |",
        f"| monthly roll-up rows (office grain) in the window | {small['monthly_rows_in_window']:,} | "
        f"{large['monthly_rows_in_window']:,} | {_ratio(large['monthly_rows_in_window'], small['monthly_rows_in_window'])} |",
        *(
            [
                f"| unit grain rows read | {small['unit_rows_in_window']:,} | "
                f"{large['unit_rows_in_window']:,} | {_ratio(large['unit_rows_in_window'], small['unit_rows_in_window'])} |"
            ]
            if "unit_rows_in_window" in small and "unit_rows_in_window" in large
            else []
        ),
        "",
        f"* **Report page at {large['ratings']:,} / at {small['ratings']:,}: {page_ratio:.2f}** "
        f"(target ≤ 1.5: {_met(page_ratio <= 1.5)}); the trend alone: {trend_ratio:.2f}.",
        f"* **Raw GROUP BY / roll-ups, same numbers: {raw_small:.0f}× at "
        f"{small['ratings']:,}, {raw_large:.0f}× at {large['ratings']:,}** "
        f"(target ≥ 50× at national scale: {_met(raw_large >= 50)}; at 100 k the raw rows of a "
        "city are too few for any index to matter).",
        f"* All three ways give identical numbers: raw = unit grain "
        f"{small['raw_equals_rollup'] and large['raw_equals_rollup']}, daily = unit grain "
        f"{small['daily_equals_rollup'] and large['daily_equals_rollup']} "
        "(the reports' own `summarise()` turns each set of counts into the summaries compared).",
        "",
    ]


def alerts_section(small: dict, large: dict) -> list[str]:
    if "alerts_recent_ms" not in large:
        return []
    rows = [
        ("minute job (low ratings of the last 10 min, kiosks)", "alerts_recent_ms"),
        ("sweep (every rule, a day's ratings)", "alerts_sweep_ms"),
        ("best months (13 months of desks, once a month)", "alerts_best_month_ms"),
        ("first sweep, opening the alerts that hold", "alerts_first_sweep_ms"),
    ]
    return [
        f"## 2b. Alert evaluation, {large['alerts_offices']:,} offices",
        "",
        f"| measure | {small['ratings']:,} ratings | {large['ratings']:,} ratings | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {_ms(small[key])} | {_ms(large[key])} | "
            f"{_ratio(large[key], small[key])} |"
            for label, key in rows
        ),
        f"| offices rated in the last 10 min | {small['alerts_recent_offices']:,} | "
        f"{large['alerts_recent_offices']:,} | |",
        f"| alerts opened by the first sweep | {small['alerts_opened']:,} | "
        f"{large['alerts_opened']:,} | |",
        "",
        f"* The minute job made {large['alerts_recent_queries']} queries at "
        f"{large['ratings']:,} ratings ({small['alerts_recent_queries']} at "
        f"{small['ratings']:,}): it reads the latest ratings of the offices just rated and the "
        "monthly roll-ups, never all responses (docs/alerts.md).",
        "",
    ]


def dsr_section(d: dict, results: dict) -> list[str]:
    if "error" in d:
        return ["## 6. django-survey-and-report", "", f"Not measured: {d['error']}", ""]
    kiosk = results["kiosk"]
    small = results["small"]
    submit_ratio = d["submit"]["rps"] / d["empty"]["rps"]
    ours_ratio = kiosk["kiosk_saturated"]["rps"] / kiosk["empty_saturated"]["rps"]
    return [
        f"## 6. django-survey-and-report {d['version']} (separate virtualenv, same server)",
        "",
        f"Given the same number of answers as the small run ({d['answers']:,} answers in "
        f"{d['responses']:,} responses).",
        "",
        "| measure | django-survey-and-report | this project | ratio (theirs / ours) |",
        "|---|---:|---:|---:|",
        f"| submit, requests/s (saturated, 100 clients) | {d['submit']['rps']:,.0f} | "
        f"{kiosk['kiosk_saturated']['rps']:,.0f} | "
        f"{_ratio(d['submit']['rps'], kiosk['kiosk_saturated']['rps'])} |",
        f"| submit / its own empty POST view | {submit_ratio:.2f} | {ours_ratio:.2f} | – |",
        f"| submit p99 (paced) | {_ms(d['submit_paced']['p99_ms'])} | "
        f"{_ms(kiosk['kiosk_paced']['p99_ms'])} | "
        f"{_ratio(d['submit_paced']['p99_ms'], kiosk['kiosk_paced']['p99_ms'])} |",
        f"| results aggregation over every answer: theirs {d['aggregation_label']}; ours the "
        f"index of every office for each of the 24 months (monthly_summaries) | "
        f"{_ms(d['aggregate_ms'])} | {_ms(small.get('all_answers_rollup_ms', float('nan')))} | "
        f"{_ratio(d['aggregate_ms'], small.get('all_answers_rollup_ms', 0))} |",
        "",
        d.get("note", ""),
        "",
    ]


def pgbouncer_section(p: dict) -> list[str]:
    if "error" in p:
        return ["## 4. PgBouncer", "", f"Not measured: {p['error']}", ""]
    rows = [(f"gunicorn → PostgreSQL, {c} kiosks", p[f"postgresql_{c}"]) for c in (100, 500)] + [
        (f"gunicorn → PgBouncer → PostgreSQL, {c} kiosks", p[f"pgbouncer_{c}"]) for c in (100, 500)
    ]
    at_500, direct_100 = p["pgbouncer_500"], p["postgresql_100"]
    errors = sum(v for c, v in at_500["statuses"].items() if not c.startswith("2"))
    errors += at_500["errors"] + at_500["timeouts"]
    throughput_ok = at_500["rps"] >= direct_100["rps"]
    threads = p.get("threads", {"postgresql": 4, "pgbouncer": 4})
    reason = ""
    if errors or not throughput_ok:
        reason = (
            "; on one 2-core machine PgBouncer is one more process and hop on the same cores; "
            "neither more threads, a smaller pool, nor keeping the kiosk's locking read "
            "prepared behind it won that back beyond the noise (bench/notes.md); the figures "
            "move with the machine's load"
        )
    return [
        f"## 4. PgBouncer ({p['version']}, transaction pooling, pool of {p['pool_size']} server "
        "connections) between gunicorn and PostgreSQL, saturated kiosk API",
        "",
        f"gunicorn talking to PostgreSQL directly runs 4 workers × {threads['postgresql']} "
        f"threads (one connection each); through PgBouncer 4 workers × {threads['pgbouncer']} "
        f"threads share its {p['pool_size']} server connections (max_client_conn "
        f"{p.get('max_client_conn', 5000)}): a thread in the part of a request outside its "
        "transaction (parsing, middleware, the response) holds no server connection, so more "
        "threads keep the pool busy (docs/scaling.md, section 2). "
        + (
            "gunicorn reaches PgBouncer on its Unix socket, as it reaches PostgreSQL in the "
            "direct runs."
            if p.get("socket") == "unix"
            else "gunicorn reaches PgBouncer over TCP (127.0.0.1), PostgreSQL in the direct "
            "runs on its Unix socket."
        ),
        "",
        "| path | requests/s | p50 | p90 | p99 | non-2xx / errors / flagged | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {m['rps']:,.0f} | {_ms(m['p50_ms'])} | {_ms(m['p90_ms'])} | "
            f"{_ms(m['p99_ms'])} | {_errors(m)} | {m['load']:.1f} |"
            for label, m in rows
        ),
        "",
        f"* **Through PgBouncer at 500 kiosks: {errors} errors, {at_500['rps']:,.0f} requests/s "
        f"against {direct_100['rps']:,.0f} direct at 100** (targets: no errors "
        f"{_met(errors == 0)}, throughput not below the direct connection at 100 "
        f"{_met(throughput_ok)}{reason}).",
        "",
    ]


def replica_section(r: dict) -> list[str]:
    load = r["write_load"]
    return [
        "## 5. Report pages from a streaming replica during a write load",
        "",
        "A hot standby of the large database (pg_basebackup -R, streaming replication, "
        f"{r['basebackup_s']:.0f} s to copy and start) on the same machine; gunicorn with "
        "`DATABASE_REPLICA_URL` set, so report pages read the standby. The Hà Nội report page "
        "was fetched over HTTP, signed in, again and again while wrk saturated the kiosk API "
        f"({load['rps']:,.0f} ratings/s written to the primary), and the replication lag was "
        "sampled on the primary every 100 ms (`pg_stat_replication`).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| Hà Nội page from the replica, no write load (median of 5) | {_ms(r['page_idle_ms'])} |",
        f"| same page during the write load (median of {r['pages_loaded']}) | "
        f"{_ms(r['page_loaded_ms'] or 0)} |",
        f"| replay lag, median / p99 / max ({r['lag_samples']} samples) | "
        f"{_ms(r['lag_ms_p50'] or 0)} / {_ms(r['lag_ms_p99'] or 0)} / {_ms(r['lag_ms_max'] or 0)} |",
        f"| WAL not yet replayed, median / max | {r['lag_kb_p50'] or 0:,.0f} KB / "
        f"{r['lag_kb_max'] or 0:,.0f} KB |",
        f"| transactions on the standby during the run (its reads) | {r['reads_on_standby']:,} |",
        f"| load average at the end | {r['load']:.1f} |",
        "",
        "An official who has just written (a POST) reads the primary until the standby has "
        "replayed that write (`config/db_router.py`), so the lag above is never seen by the "
        "person who caused it.",
        "",
    ]


# A national deployment (docs/scaling.md, "Sizing"): ~3,300 offices, 50 M ratings a year.
NATIONAL_RATINGS_A_YEAR = 50_000_000
WORKING_DAYS = 250
PEAK_HOUR_SHARE = 0.2  # the busiest morning hour holds a fifth of the day's ratings
PEAK_BURST = 3  # and its busiest minutes run at three times that hour's mean
NATIONAL_KIOSKS = 10_000  # about three per office
HEARTBEAT_SECONDS = 60  # static/surveys/kiosk.js
MONTH_START_PAGES_PER_S = 7  # 5,000 officials × 10 pages in the first two hours of a month


def national_peak() -> float:
    per_day = NATIONAL_RATINGS_A_YEAR / WORKING_DAYS
    return per_day * PEAK_HOUR_SHARE / 3600 * PEAK_BURST


def sizing_section(results: dict) -> list[str]:
    kiosk, large = results.get("kiosk"), results["large"]
    if not kiosk:
        return []
    api = kiosk["kiosk_saturated"]["rps"]
    peak = national_peak()
    lines = [
        "## 8. Sizing from this run (method in docs/scaling.md)",
        "",
        f"* National morning peak: {NATIONAL_RATINGS_A_YEAR:,} ratings a year over "
        f"{WORKING_DAYS} working days, {PEAK_HOUR_SHARE:.0%} of a day in the busiest hour, "
        f"bursts at {PEAK_BURST}× that hour's mean: **{peak:.0f} ratings/s**. One 2-core "
        f"application-and-database server stored **{api:,.0f} ratings/s** here: "
        f"{api / peak:.1f}× the national peak.",
        f"* Heartbeats: {NATIONAL_KIOSKS:,} kiosks every {HEARTBEAT_SECONDS} s = "
        f"{NATIONAL_KIOSKS / HEARTBEAT_SECONDS:.0f} requests/s, more requests than the ratings "
        "themselves (not measured here; each is one kiosk lookup and one small UPDATE).",
    ]
    nation = large.get("scopes", {}).get("nation")
    if nation:
        per_core = 1000 / nation["page_ms"]
        lines.append(
            f"* Report pages: the national page took {_ms(nation['page_ms'])} at "
            f"{large['ratings']:,} ratings, about {per_core:.1f} pages/s per core; the first "
            f"mornings of a month ask for about {MONTH_START_PAGES_PER_S} pages/s (mostly ward "
            f"and province pages, cheaper), so one replica of "
            f"{max(2, round(MONTH_START_PAGES_PER_S / per_core + 0.5))} cores serves them."
        )
    replica = results.get("replica")
    if replica and replica.get("lag_ms_max") is not None:
        lines.append(
            f"* Replication lag under a saturated write load: p99 {_ms(replica['lag_ms_p99'])}, "
            f"max {_ms(replica['lag_ms_max'])}: report pages from the replica are at most that "
            "far behind; the writer's own pages read the primary until it has caught up."
        )
    bouncer = results.get("pgbouncer")
    if bouncer and "pgbouncer_500" in bouncer:
        lines.append(
            f"* PgBouncer at 500 kiosks: {bouncer['pgbouncer_500']['rps']:,.0f} ratings/s "
            f"(direct at 100: {bouncer['postgresql_100']['rps']:,.0f}), so a pool of "
            f"{bouncer['pool_size']} server connections carries the whole write load of "
            f"{bouncer.get('threads', {}).get('pgbouncer', 4) * results.get('workers', 4)} "
            "application threads."
        )
    return [*lines, ""]


def write_markdown(results: dict, output: Path, command: str) -> None:
    m = results["machine"]
    small, large = results["small"], results["large"]
    lines = [
        "# Benchmarks",
        "",
        f"Latest run: {results['started_at']} (commit `{m['commit']}`), "
        f"{results['total_s'] / 60:.1f} minutes end to end. Command: `{command}` "
        "(`make bench` = 100 k vs 10 M ratings, `make bench-quick` = 100 k vs 1 M).",
        "",
        "Every result is a **ratio of two measurements taken in the same run on the same "
        "machine**; absolute times are shown for context only and move with the machine "
        f"(load average of this shared 2-core machine: {m['load_before']:.1f} when the run "
        f"started, {results.get('load_after', float('nan')):.1f} when it ended; the benchmark's "
        "own servers and load generator share the 2 cores, and each load run below gives the "
        "load it ran under).",
        "",
        "## Machine",
        "",
        f"* {m['cpu']}, {m['memory_gb']} GB memory, {m['os']}",
        f"* Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']} "
        f"({results.get('workers', 4)} workers × {results.get('threads', 4)} threads, "
        "config.gunicorn_worker.PromptThreadWorker), "
        f"PostgreSQL {m['postgresql']} "
        "(own server, Unix socket, fsync and synchronous_commit on), "
        f"{m['wrk']} (2 threads, 100 connections, 127.0.0.1, timeout "
        f"{results.get('wrk_timeout_s', 15):g} s: the kiosk's own POST_TIMEOUT_MS)",
        "",
        "## Data (generate_ratings)",
        "",
        "| database | ratings | answers | answer roll-up rows (daily) | generated in | size |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {d['surveys_response_rows']:,} | {d['surveys_answer_rows']:,} | "
            f"{d['surveys_answerrollup_rows']:,} | {d['generate_s']:.0f} s | "
            f"{d['database_bytes'] / 2**30:.1f} GB |"
            for label, d in (("small", small), ("large", large))
        ),
        "",
        f"3,321 offices (one per commune-level unit of 2025), {results.get('months', 24)} months "
        f"ending {small['report_month']}; large load rate "
        f"{large['ratings'] / large['generate_s']:,.0f} ratings/s including index rebuilds.",
        "",
    ]
    if "kiosk" in results:
        lines += kiosk_section(results["kiosk"])
    lines += scopes_section(small, large)
    lines += report_section(small, large)
    if "pgbouncer" in results:
        lines += pgbouncer_section(results["pgbouncer"])
    if "replica" in results:
        lines += replica_section(results["replica"])
    lines += alerts_section(small, large)
    if "dsr" in results:
        lines += dsr_section(results["dsr"], results)
    if "kiosk" in results:
        lines += page_section(results["kiosk"])
    if "suite" in results:
        lines += [
            "## 7b. Test suite",
            "",
            f"* `make test`: {results['suite']['seconds']:.0f} s wall time "
            f"({results['suite']['summary']}).",
            "",
        ]
    lines += sizing_section(results)
    lines += [Path(__file__).with_name("notes.md").read_text()]
    output.write_text("\n".join(lines))


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text())
    write_markdown(
        data, Path(sys.argv[2]), command=sys.argv[3] if len(sys.argv) > 3 else "make bench"
    )
