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


def kiosk_section(k: dict) -> list[str]:
    empty, kiosk = k["empty_saturated"], k["kiosk_saturated"]
    ratio = kiosk["rps"] / empty["rps"]
    paced_e, paced_k = k["empty_paced"], k["kiosk_paced"]
    return [
        "## 1. Kiosk submit under gunicorn, 100 concurrent kiosks",
        "",
        "| endpoint | load | requests/s | p50 | p90 | p99 | non-2xx / errors |",
        "|---|---|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {load} | {m['rps']:,.0f} | {_ms(m['p50_ms'])} | {_ms(m['p90_ms'])} | "
            f"{_ms(m['p99_ms'])} | {sum(v for c, v in m['statuses'].items() if not c.startswith('2'))}"
            f" / {m['errors'] + m['timeouts']} |"
            for label, load, m in (
                ("empty POST view", "saturated", empty),
                ("kiosk rating API", "saturated", kiosk),
                ("empty POST view", "paced (≈1 rating/s per kiosk)", paced_e),
                ("kiosk rating API", "paced (≈1 rating/s per kiosk)", paced_k),
            )
        ),
        "",
        f"* **Throughput ratio kiosk / empty view: {ratio:.2f}** (target ≥ 0.6: {_met(ratio >= 0.6)}).",
        f"* **p99 of the kiosk API at 100 paced kiosks: {_ms(paced_k['p99_ms'])}** "
        f"(target < 50 ms: {_met(paced_k['p99_ms'] < 50)}); saturated, every request also waits "
        f"its turn behind the other 99 (p99 {_ms(kiosk['p99_ms'])}).",
        f"* Ratings acknowledged with 201: {k['acknowledged_201']:,}; rows added to the database: "
        f"{k['stored']:,}. {_in_flight(k)}",
        "",
    ]


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
        "## 4a. Kiosk page weight (Chromium, cache disabled)",
        "",
        f"* {page['requests']} requests, {page['bytes'] / 1024:.1f} KB on the wire "
        f"(targets ≤ 5 requests: {_met(page['requests'] <= 5)}, ≤ 60 KB: "
        f"{_met(page['bytes'] <= 60 * 1024)}); hosts: {', '.join(page['hosts'])} "
        f"(no third party: {_met(all(h.startswith('127.0.0.1') for h in page['hosts']))}).",
        *(f"  * `{u.split('127.0.0.1:8150', 1)[-1]}`" for u in page["urls"]),
        "",
    ]


def report_section(small: dict, large: dict) -> list[str]:
    rows = [
        ("report page (HTML, all tables)", "page_ms"),
        ("report data (build_monthly_report)", "report_data_ms"),
        ("13-month trend, as the reports read it (monthly roll-ups)", "trend_rollup_ms"),
        ("same numbers from the daily roll-ups", "trend_daily_rollup_ms"),
        ("same numbers, plain GROUP BY over raw rows", "trend_raw_ms"),
    ]
    page_ratio = large["page_ms"] / small["page_ms"]
    trend_ratio = large["trend_rollup_ms"] / small["trend_rollup_ms"]
    raw_small = small["trend_raw_ms"] / small["trend_rollup_ms"]
    raw_large = large["trend_raw_ms"] / large["trend_rollup_ms"]
    return [
        f"## 2. Monthly report of Hà Nội ({small['offices']} wards and communes), "
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
        f"| monthly roll-up rows read | {small['monthly_rows_in_window']:,} | "
        f"{large['monthly_rows_in_window']:,} | {_ratio(large['monthly_rows_in_window'], small['monthly_rows_in_window'])} |",
        "",
        f"* **Report page at {large['ratings']:,} / at {small['ratings']:,}: {page_ratio:.2f}** "
        f"(target ≤ 1.5: {_met(page_ratio <= 1.5)}); the trend alone: {trend_ratio:.2f}.",
        f"* **Raw GROUP BY / roll-ups, same numbers: {raw_small:.0f}× at "
        f"{small['ratings']:,}, {raw_large:.0f}× at {large['ratings']:,}** "
        f"(target ≥ 50× at national scale: {_met(raw_large >= 50)}; at 100 k the raw rows of a "
        "city are too few for any index to matter).",
        f"* All three ways give identical numbers: raw = monthly roll-ups "
        f"{small['raw_equals_rollup'] and large['raw_equals_rollup']}, daily = monthly roll-ups "
        f"{small['daily_equals_rollup'] and large['daily_equals_rollup']} "
        "(the reports' own `summarise()` turns each set of counts into the summaries compared).",
        "",
    ]


def dsr_section(d: dict, results: dict) -> list[str]:
    if "error" in d:
        return ["## 3. django-survey-and-report", "", f"Not measured: {d['error']}", ""]
    kiosk = results["kiosk"]
    small = results["small"]
    submit_ratio = d["submit"]["rps"] / d["empty"]["rps"]
    ours_ratio = kiosk["kiosk_saturated"]["rps"] / kiosk["empty_saturated"]["rps"]
    return [
        f"## 3. django-survey-and-report {d['version']} (separate virtualenv, same server)",
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
        f"started, {results.get('load_after', float('nan')):.1f} when it ended — other "
        "engineers' test runs were sharing it).",
        "",
        "## Machine",
        "",
        f"* {m['cpu']}, {m['memory_gb']} GB memory, {m['os']}",
        f"* Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']} "
        f"({results.get('workers', 4)} gthread workers × {results.get('threads', 4)} threads), "
        f"PostgreSQL {m['postgresql']} "
        "(own server, Unix socket, fsync and synchronous_commit on), "
        f"{m['wrk']} (2 threads, 100 connections, 127.0.0.1)",
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
    lines += report_section(small, large)
    if "dsr" in results:
        lines += dsr_section(results["dsr"], results)
    if "kiosk" in results:
        lines += page_section(results["kiosk"])
    if "suite" in results:
        lines += [
            "## 4b. Test suite",
            "",
            f"* `make test`: {results['suite']['seconds']:.0f} s wall time "
            f"({results['suite']['summary']}).",
            "",
        ]
    lines += [Path(__file__).with_name("notes.md").read_text()]
    output.write_text("\n".join(lines))


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text())
    write_markdown(
        data, Path(sys.argv[2]), command=sys.argv[3] if len(sys.argv) > 3 else "make bench"
    )
