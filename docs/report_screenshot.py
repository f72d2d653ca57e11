"""Analyse FlowSOM's 68983.fcs against its manual gates and photograph the top of the
resulting report.html in headless Chromium, into docs/screenshot_report.png.

    python docs/report_screenshot.py                 # the data corpus beside the checkout
    python docs/report_screenshot.py results/report.html   # an existing report

The corpus is found at $CYTOMOE_TEST_DATA or ../shared/data, as the tests find it.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cytomoe.cli import main as cytomoe

DOCS = Path(__file__).resolve().parent
DATA = Path(os.environ.get("CYTOMOE_TEST_DATA") or DOCS.parents[1] / "shared" / "data")
SCREENSHOT = DOCS / "screenshot_report.png"


def make_report(folder: Path) -> Path:
    flowsom = DATA / "labeled" / "flowsom_68983"
    out = folder / "68983"
    code = cytomoe(
        [
            "run",
            str(flowsom / "68983.fcs"),
            "--labels-file",
            str(flowsom / "gatingResult.csv"),
            "--iterations",
            "300",
            "--train-cells",
            "5000",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    if code:
        raise SystemExit(code)
    return out / "report.html"


def photograph(page: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium).")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={SCREENSHOT}",
                "--window-size=1200,2400",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(f"saved {SCREENSHOT}")


def main() -> None:
    if len(sys.argv) > 1:
        photograph(Path(sys.argv[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        photograph(make_report(Path(folder)))


if __name__ == "__main__":
    main()
