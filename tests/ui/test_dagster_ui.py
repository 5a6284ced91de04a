"""The Dagster UI in a real headless browser (Debian's Chromium driven by Playwright).

One small Adult pipeline run fills a temporary instance; then the synthetic table is sampled again
under a spec whose fidelity minimum no honest table meets, so its latest gate verdicts include a
failure. `dagster dev` serves that instance, and each test looks at one page as a person would:
the lineage graph, the generator's loss curve, the gate verdicts and the data card.

Screenshots go to ``tmp_path``, or to the folder named by ``ACCRETE_UI_SCREENSHOTS`` (relative to
the repository): ``ACCRETE_UI_SCREENSHOTS=docs`` remakes the README's pictures. Without Chromium
at /usr/bin/chromium the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect, sync_playwright

from tests.assets.test_pipeline import EXPECTED_ASSETS, SYNTHETIC_GATES
from tests.conftest import REPO, isolated_home, write_small_landing, write_small_spec
from tests.postgres_server import _free_port
from tests.postgres_server import _unavailable as unavailable  # skip, or fail under CI
from tests.run_worker import ANSWER_PREFIX

BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own browser downloads are not used
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # the machine is offline: without these Chromium keeps opening connections that are refused
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_VARIABLE = "ACCRETE_UI_SCREENSHOTS"
UI_TIMEOUT_MS = 60_000
EXPAND_TRIES = 5
"""The UI's first pages wait for the code location and its GraphQL queries: slow on a busy CPU."""
FAILED_GATE = "fidelity"
FAILED_GATE_QUALITY = 0.99
"""A gates.min_quality that no honest small synthetic table reaches (it scores about 0.9)."""
FAILED_GATE_EXPLANATION = "is below the minimum on quality"
GRAPH_VIEWPORT = {"width": 2560, "height": 1000}
"""Wide enough that the whole graph is drawn with full node cards, names not shortened."""
PAGE_VIEWPORT = {"width": 1440, "height": 900}


def require_chromium() -> Path:
    """Debian's Chromium, or skip (fail under CI, where the browser tests must run)."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}: install it with `apt-get install chromium`")
    return CHROMIUM


def run_pipeline_then_fail_a_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fill a fresh instance: the whole Adult pipeline (the collapse monitor aside), then the synthetic
    table sampled again under a spec whose fidelity minimum it cannot meet. Returns its DAGSTER_HOME."""
    landing = tmp_path / "landing"
    write_small_landing(landing)
    isolated_home(tmp_path, landing, monkeypatch)
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((REPO / "deploy" / "local" / "dagster.yaml").read_text())
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.run_worker"],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def run(keys: set[str]) -> dict:
        worker.stdin.write(json.dumps(sorted(keys)) + "\n")
        worker.stdin.flush()
        answer = next(line for line in worker.stdout if line.startswith(ANSWER_PREFIX))
        return json.loads(answer[len(ANSWER_PREFIX) :])

    try:
        released = run(EXPECTED_ASSETS - {"adult_collapse_monitor"})
        assert released["success"], released["failures"]
        spec_path = tmp_path / "datasets" / "adult" / "spec.yaml"
        gates = yaml.safe_load(spec_path.read_text())["gates"]
        write_small_spec(tmp_path / "datasets", gates={**gates, "min_quality": FAILED_GATE_QUALITY})
        assert run({"adult_synthetic"})["failed_checks"] == [FAILED_GATE]
    finally:
        worker.stdin.close()
        try:
            worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    return dagster_home


@contextlib.contextmanager
def dagster_dev(dagster_home: Path) -> Iterator[str]:
    """`dagster dev` (webserver and daemon) on ``dagster_home`` with telemetry off; yields its URL and
    stops its whole process group afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "DO_NOT_TRACK": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    log = dagster_home / "dagster-dev.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: webserver, daemon and code servers
            # dagster dev stops its services on SIGINT, which a process started in the background ignores
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_code_location(url, server, log)
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is still running
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _wait_for_code_location(url: str, server: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    """Until the webserver answers GraphQL with the code location's assets loaded."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=b'{"query": "{ assetNodes { id } }"}',
        headers={"Content-Type": "application/json"},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dagster dev exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=5) as response:
            if b"raw_adult" in response.read():
                return
        time.sleep(1)
    raise RuntimeError(
        f"dagster dev did not load its code location in {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


def expected_lineage() -> set[tuple[str, str]]:
    """Every (upstream, downstream) pair of the code location the server loaded (same environment)."""
    from orchestration.definitions import build_definitions  # needs the environment isolated_home set

    graph = build_definitions().resolve_asset_graph()
    return {
        (parent.to_user_string(), key.to_user_string())
        for key in graph.get_all_asset_keys()
        for parent in graph.get(key).parent_keys
    }


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory) -> Iterator[tuple[str, set[tuple[str, str]]]]:
    """The URL of `dagster dev` on the filled instance, and the lineage its code location defines."""
    require_chromium()
    with pytest.MonkeyPatch.context() as monkeypatch:
        dagster_home = run_pipeline_then_fail_a_gate(tmp_path_factory.mktemp("ui"), monkeypatch)
        lineage = expected_lineage()
        with dagster_dev(dagster_home) as url:
            yield url, lineage


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(require_chromium()), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser, dagster_ui):
    """Open a UI path in a fresh browser context (its own local storage), first-visit prompts dismissed."""
    url = dagster_ui[0]
    contexts = []
    expect.set_options(timeout=UI_TIMEOUT_MS)

    def open_path(path: str, viewport: dict[str, int] = PAGE_VIEWPORT):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.new_page()
        # the first visit to a fresh instance asks to join the community: answer "Skip" whenever it shows
        page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
        page.goto(url + path)
        return page

    yield open_path
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: ACCRETE_UI_SCREENSHOTS (e.g. docs) or a temporary folder."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE)
    target = REPO / folder if folder else tmp_path_factory.mktemp("screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


def drawn_edges(page, names: set[str]) -> set[tuple[str, str]]:
    """The graph's edges as drawn: each arrow (an SVG path with an arrowhead) joined to the asset
    nodes, found by their names on the page, nearest its two ends."""
    pairs = page.evaluate(
        """names => {
            const svg = [...document.querySelectorAll('svg')].find(s => s.querySelector('path[marker-end]'));
            const nodes = names.map(name => {
                const label = [...svg.querySelectorAll('foreignObject *')]
                    .find(e => e.childElementCount === 0 && e.textContent.trim() === name);
                if (!label) throw new Error(`no node named ${name} in the graph`);
                return {name, box: label.closest('foreignObject').getBoundingClientRect()};
            });
            const nearest = point => nodes.map(({name, box}) => ({
                name,
                distance: Math.hypot(
                    Math.max(box.left - point.x, 0, point.x - box.right),
                    Math.max(box.top - point.y, 0, point.y - box.bottom)),
            })).sort((a, b) => a.distance - b.distance)[0].name;
            const end = (path, length) => path.getPointAtLength(length).matrixTransform(path.getScreenCTM());
            return [...svg.querySelectorAll('path[marker-end]')]
                .map(path => [nearest(end(path, 0)), nearest(end(path, path.getTotalLength()))]);
        }""",
        sorted(names),
    )
    return {(upstream, downstream) for upstream, downstream in pairs}


def show_markdown(page, metadata_key: str):
    """Open a markdown metadata entry of the asset page (its "Show Markdown" link); returns the dialog."""
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=metadata_key, exact=True))
    row.get_by_text("Show Markdown").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_the_asset_graph_draws_every_stage_and_its_lineage(open_page, dagster_ui, screenshots):
    lineage = dagster_ui[1]
    names = {name for edge in lineage for name in edge}
    assert EXPECTED_ASSETS | {"adult_generations"} == names
    page = open_page("/asset-groups", viewport=GRAPH_VIEWPORT)
    expect(page.get_by_text("Materialize all")).to_be_visible()
    # room for the whole graph in full node cards: no navigation, no asset sidebar, every group open
    page.get_by_role("button", name="Hide navigation").click()
    page.get_by_role("button", name="panel_show_right", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(0)
    # the graph's "Expand all groups" (its context menu says so); pressed while the graph still lays
    # itself out, it can leave a group closed, so it is pressed again until every node is drawn
    for _ in range(EXPAND_TRIES):
        page.keyboard.press("Alt+e")
        page.wait_for_timeout(2_000)
        if all(page.get_by_text(name, exact=True).count() for name in names):
            break
    for name in sorted(names):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    assert drawn_edges(page, names) == lineage
    # the node of the synthetic table counts its gate verdicts (then every node has its status)
    passed = f"{len(SYNTHETIC_GATES) - 1} / {len(SYNTHETIC_GATES)} Passed"
    expect(page.get_by_text(passed, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Loading"))).to_have_count(0)
    page.screenshot(path=screenshots / "ui-asset-graph.png")


def test_the_generator_page_plots_its_loss_curve(open_page):
    page = open_page("/assets/adult_generator")
    plot = show_markdown(page, "loss_curve").get_by_role("img", name="plot")
    expect(plot).to_be_visible()
    assert plot.get_attribute("src").startswith("data:image/png;base64,")
    assert plot.evaluate("image => image.complete && image.naturalWidth") > 100  # a decoded picture


def test_the_synthetic_checks_show_each_verdict_and_why_the_gate_failed(open_page, screenshots):
    page = open_page("/assets/adult_synthetic?view=checks")
    expect(page.get_by_text(f"Checks ({len(SYNTHETIC_GATES)})")).to_be_visible()
    for gate in sorted(SYNTHETIC_GATES):
        entry = page.get_by_title(gate, exact=True).locator("xpath=..")
        expect(entry).to_contain_text("Failed" if gate == FAILED_GATE else "Succeeded")
    page.get_by_title(FAILED_GATE, exact=True).click()
    expect(page.get_by_text("Evaluation result", exact=True).locator("xpath=..")).to_contain_text("Failed")
    summary = page.get_by_role("row").filter(has=page.get_by_role("cell", name="summary", exact=True))
    expect(summary).to_contain_text(FAILED_GATE_EXPLANATION)
    page.screenshot(path=screenshots / "ui-asset-check.png")


def test_the_data_card_renders_as_markdown(open_page, screenshots):
    page = open_page("/assets/adult_data_card")
    card = show_markdown(page, "data_card")
    title = card.get_by_role("heading", level=1, name="Data card: synthetic adult")
    expect(title).to_be_visible()
    expect(card.get_by_role("heading", level=2, name="Known limits")).to_be_attached()
    expect(card.get_by_role("table").first).to_be_attached()
    expect(card).not_to_contain_text("# Data card")  # rendered, not the raw markdown
    title.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "ui-data-card.png")
