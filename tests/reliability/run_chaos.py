"""`make chaos`: the full fault run (10,000 ratings, 50 kiosks, ~10 % dropped connections,
~5 % HTML 404 pages from the proxy, one PostgreSQL restart), printed as JSON and written
to docs/reliability-last-run.json."""

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.reliability.harness import ROOT, fault_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ratings", type=int, default=10_000)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--drop-rate", type=float, default=0.10)
    parser.add_argument("--html-404-rate", type=float, default=0.05)
    parser.add_argument("--deadline", type=float, default=900, help="seconds, at most")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onestop-chaos-", ignore_cleanup_errors=True) as tmp:
        figures = fault_run(
            Path(tmp),
            ratings=args.ratings,
            kiosks=args.kiosks,
            drop_rate=args.drop_rate,
            html_404_rate=args.html_404_rate,
            deadline_s=args.deadline,
        )
    figures["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    (ROOT / "docs" / "reliability-last-run.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    ok = (
        figures["stored"] == figures["ratings_sent"] == figures["acknowledged"]
        and figures["lost"] == figures["doubled"] == figures["unexpected"] == 0
        and figures["answer_rollup_mismatches"] == 0
        and figures["monthly_rollup_mismatches"] == 0
        and figures["rollup_responses"] == figures["stored"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
