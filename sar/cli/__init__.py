"""The `sar` command line: a thin skin over sar.workspace.

This package only assembles the command: `root` holds the app, and each `*_cmd`
module registers its commands on it when imported here. Only typer, the standard
library and sar's light modules are imported at start-up; everything heavy (jinja2,
python-docx, sqlite-utils, holidays) is imported inside the function that needs it,
so `sar --help` stays fast.
"""

import gc

from sar.cli.root import app

# Each module registers its commands on `app`; `sar --help` lists them in this order.
# isort: off
from sar.cli import setup_cmd, requests_cmd, track_cmd, inbox_cmd, discover_cmd  # noqa: F401
from sar.cli import care_cmd, deadline_cmd, demo_cmd, orgs_cmd, campaign_cmd  # noqa: F401
from sar.cli import attachments_cmd, review_cmd  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    # What has been imported by now (typer, the command definitions) lives as long
    # as the process: frozen, the collector no longer walks it again and again
    # while Typer builds the command tree (benchmarks/startup.py: `sar --help` from
    # 1.41 to 1.22 times a bare `import typer, rich`, `sar status` 1.74 to 1.51).
    gc.freeze()
    app()
