"""End to end in a real browser: sign-in → upload (dropped on the page) → schema → train →
generate (rebalanced) → evaluate → dashboard → download, against `synthera serve` started
as a person would.

Uses Debian's headless Chromium (/usr/bin/chromium) through the Python `playwright`
package (no browser download). Skips when either is missing, unless
SYNTHERA_REQUIRE_BROWSER=1. Screenshots land in tests/e2e/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
REQUIRED = os.environ.get("SYNTHERA_REQUIRE_BROWSER") == "1"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long admin password"

try:
    from playwright.sync_api import Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]

if sync_playwright is None or not CHROMIUM.exists():
    if REQUIRED:
        raise RuntimeError(
            "SYNTHERA_REQUIRE_BROWSER=1 but playwright or /usr/bin/chromium is missing"
        )
    pytestmark = pytest.mark.skip(reason="needs the playwright package and /usr/bin/chromium")


def small_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    sex = rng.choice(["Female", "Male"], n)
    hours = np.clip(rng.normal(40, 8, n), 5, 80).round(1)
    education = rng.choice(["school", "college", "university"], n, p=[0.4, 0.35, 0.25])
    score = age * 0.5 + hours + (education == "university") * 10 + rng.normal(0, 5, n)
    income = np.where(score > np.median(score), ">50K", "<=50K")
    return pd.DataFrame(
        {"age": age, "sex": sex, "hours": hours, "education": education, "income": income}
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`synthera serve` on a free port: (base URL, one-time setup link)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHERA_")}
    if os.environ.get("SYNTHERA_E2E_EVALUATOR"):
        env["SYNTHERA_EVALUATOR"] = os.environ["SYNTHERA_E2E_EVALUATOR"]
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    data_dir = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "synthera", "serve", "--port", str(port), "--data-dir", data_dir],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    # Keep reading the server's output, or a full pipe would block it.
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
    reader.start()
    link = None
    deadline = time.monotonic() + 90
    while link is None and time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"(http://\S+/setup\?token=\S+)", "".join(lines))
        link = found.group(1) if found else None
        time.sleep(0.1)
    try:
        assert link, f"the server printed no setup link: {''.join(lines)}"
        yield f"http://127.0.0.1:{port}", link
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        (tmp_path / "server.log").write_text("".join(lines), encoding="utf-8")


def drop_file(page: Page, target: Locator, path: Path) -> None:
    """Drag `path` onto `target`: a DataTransfer holding the file, then dragover and drop."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/csv" }));
            return transfer;
        }""",
        [path.name, path.read_text(encoding="utf-8")],
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(target).to_have_class(re.compile(r"\bdragging\b"))
    target.dispatch_event("drop", {"dataTransfer": transfer})


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_whole_flow_in_a_browser(served: tuple[str, str], tmp_path: Path) -> None:
    base, setup_link = served
    csv_path = tmp_path / "people.csv"
    small_table().to_csv(csv_path, index=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            run_flow(page, base, setup_link, csv_path, tmp_path)
        finally:
            context.close()
            browser.close()
        assert errors == []


def run_flow(page: Page, base: str, setup_link: str, csv_path: Path, tmp_path: Path) -> None:
    # Sign-in: the one-time setup link creates the first admin and signs them in.
    page.goto(setup_link)
    expect(page.get_by_role("heading", name="Create the first admin account")).to_be_visible()
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "01-setup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Datasets")).to_be_visible()

    # Upload: the file is dropped on the drop zone, as a person drags it from a folder.
    drop_file(page, page.get_by_role("group", name="Drop a table file here"), csv_path)
    expect(page.get_by_role("heading", name="people.csv")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("400 rows (320 to learn from, 80 kept aside")).to_be_visible()

    # Schema: income is the target, sex is sensitive.
    page.get_by_role("radio", name="income is the target").check()
    page.get_by_role("checkbox", name="sex is sensitive").check()
    page.get_by_role("button", name="Save schema").click()
    expect(page.get_by_role("status").filter(has_text="Schema saved.")).to_be_visible()
    shot(page, "02-dataset-schema")

    # Train the quick model and watch it finish.
    generator = page.get_by_label("Generator", exact=True)
    expect(generator).to_be_visible(timeout=120_000)  # the first listing imports every model
    generator.select_option("gaussian_copula")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("status", name="train job succeeded")).to_be_visible(timeout=90_000)

    # Generate rows, rebalanced: a quarter with the higher income.
    page.get_by_label("Rows to generate").fill("320")
    page.get_by_label("How to generate").select_option("rebalance")
    page.get_by_label("Column", exact=True).select_option("income")
    page.get_by_label("Class mix (optional)").fill(">50K=1, <=50K=3")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("status", name="sample job succeeded")).to_be_visible(timeout=90_000)

    # Evaluate, then open the dashboard.
    page.get_by_role("button", name="Evaluate").click()
    expect(page.get_by_role("status", name="evaluate job succeeded")).to_be_visible(timeout=180_000)
    shot(page, "03-jobs-done")
    page.get_by_role("link", name="Open the dashboard").click()
    scorecard = page.get_by_role("list", name="Scorecard")
    expect(scorecard).to_be_visible(timeout=30_000)
    expect(scorecard.get_by_role("heading").first).to_be_visible()
    # The HTML report's charts, drawn by Plotly in the page: each has its SVG.
    for name in (
        "Distribution of age, real and synthetic",
        "Association between columns in the real table",
        "Association between columns: synthetic minus real",
        "Histograms of the distance from each synthetic row to the closest real row",
        "ROC curves of membership-inference attacks against the synthetic table",
        re.compile(r"for each group of sex"),
    ):
        chart = page.get_by_role("img", name=name)
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("table", name="Groups of sex")).to_be_visible()
    page.wait_for_timeout(1000)
    shot(page, "dashboard")

    # Downloads: the synthetic table and the HTML report.
    with page.expect_download() as table_download:
        page.get_by_role("link", name="Download the synthetic table (CSV)").click()
    table = pd.read_csv(io.BytesIO(Path(table_download.value.path()).read_bytes()))
    assert len(table) == 320 and list(table.columns) == list(small_table().columns)
    assert table["income"].value_counts().to_dict() == {"<=50K": 240, ">50K": 80}
    with page.expect_download() as report_download:
        page.get_by_role("link", name="Download the HTML report").click()
    html = Path(report_download.value.path()).read_text(encoding="utf-8")
    assert "<html" in html.lower()
