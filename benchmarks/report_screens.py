"""Look at the campaign report as a reader would: on screen and printed.

    PYTHONPATH=. python benchmarks/report_screens.py [OUT]     # OUT: /tmp/h19r by default

Builds the demo-like campaign of tests/report_campaign.py in a fresh home (through
the CLI, on what-if dates), writes its report in every format (report.html, .md,
.csv, .json, and hidden.html with every figure suppressed), then has headless
Chromium take a screenshot (screen.png, 1200 px wide) and print it to PDF
(print.pdf, A4, as a reader's browser would), and pdftoppm turn each printed page
into a PNG (print-1.png, ...) at 60 dpi. Open the PNGs and look: the tables whole
on paper, no scrollbar, the totals with their table, the chart figures open.

Needs chromium (/usr/bin/chromium) and pdftoppm (poppler-utils); nothing is timed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = ("chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run")


def build_reports(out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import Sar
    from tests.report_campaign import AS_OF, build

    work = Path(tempfile.mkdtemp(prefix="sar-report-"))
    home = work / "home"
    os.environ["SAR_HOME"] = str(home)
    sar = Sar(home)
    name = build(sar, work, home)
    for fmt in ("json", "md", "csv", "html"):
        sar("campaign", "report", name, "--format", fmt, "-o", out / f"report.{fmt}",
            today=AS_OF)
    sar("campaign", "report", name, "--format", "html", "--suppress-below", "20",
        "-o", out / "hidden.html", today=AS_OF)
    shutil.rmtree(work)


def chromium(page: Path, *args: str) -> None:
    profile = tempfile.mkdtemp(prefix="sar-chromium-")
    try:
        subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", *args,
                        page.as_uri()], check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/h19r")
    out.mkdir(parents=True, exist_ok=True)
    build_reports(out)
    for stem in ("report", "hidden"):
        page = out / f"{stem}.html"
        chromium(page, f"--screenshot={out / (stem + '-screen.png')}",
                 "--window-size=1200,2000")
        chromium(page, f"--print-to-pdf={out / (stem + '-print.pdf')}",
                 "--no-pdf-header-footer")
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(out / f"{stem}-print.pdf"),
                        str(out / f"{stem}-print")], check=True)
    for png in sorted(out.glob("*.png")):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
