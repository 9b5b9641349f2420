"""The course as a learner sees it, in real headless Chromium (Debian's ``chromium`` package, driven by
Playwright; no browser is downloaded): the panels in JupyterLab, and the website ``make book`` built.

Skipped, with the reason, when Chromium or Playwright is missing, except in CI (``CI=true``), where that
fails. Each check saves a screenshot under build/browser/.
"""

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SHOTS = BUILD / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PANEL_NOTEBOOKS = ["00_tour", "05_few_shot"]
CONTROLS = (
    ".widget-hslider, .widget-dropdown, .widget-checkbox, .widget-button, .widget-toggle-buttons, "
    ".widget-text, .widget-textarea, .widget-select-multiple"
)


def test_badges_are_markdown_images_not_text():
    """The first Markdown cell's badge line renders as linked images (a line that starts with an HTML
    comment would be a raw HTML block, shown as text)."""
    from markdown_it import MarkdownIt

    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cell = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
        html = MarkdownIt("commonmark").render("".join(cell["source"]))
        assert html.count("<img") == 2 and "[![" not in html, path.name


@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if reason is None and CHROMIUM is None:
        reason = "no Chromium on this machine (Debian: apt-get install chromium)"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free port of 127.0.0.1, without a token, serving copies of the panel notebooks (so
    that running them leaves the committed ones without outputs); always shut down."""
    root = tmp_path_factory.mktemp("lab")
    for name in PANEL_NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", root)
    port = free_port()
    settings = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "get notified about Jupyter news?" toast over the screenshots
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = dict(
        os.environ,
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        TLEARN_NO_PROGRESS="1",
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--allow-root",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with open(root / "lab.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            wait_for(f"http://127.0.0.1:{port}/api/status", 90)
            yield f"http://127.0.0.1:{port}", root
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def widget_images(page) -> list:
    return page.eval_on_selector_all(".jp-Notebook .widget-output img", "els => els.map(e => e.src)")


def changed(page, before: list, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = widget_images(page)
        if now and now != before:
            return True
        page.wait_for_timeout(500)
    return False


def run_all(page, name: str, seconds: float = 1500):
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => !!document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')"
        " || !!document.querySelector('.jp-Toolbar-kernelStatus')",
        timeout=60_000,
    )
    page.wait_for_timeout(2000)  # the kernel connects
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.monotonic() + seconds
    page.wait_for_timeout(3000)
    quiet = 0  # seconds in a row with no cell queued or running (an error stops a run before the last cell)
    while time.monotonic() < deadline:
        prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputArea-prompt", "els => els.map(e => e.textContent)")
        if prompts and all(re.search(r"\d", p) for p in prompts):
            return
        quiet = 0 if any("*" in p for p in prompts) else quiet + 1
        if quiet >= 10:
            return
        page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / f"lab-{name}-timeout.png"))
    raise TimeoutError(f"{name} did not finish within {seconds:.0f} s")


def saved_errors(base: str, name: str, page) -> list:
    page.keyboard.press("Control+s")
    page.wait_for_timeout(2000)
    with urllib.request.urlopen(f"{base}/api/contents/{name}.ipynb?content=1", timeout=30) as r:
        nb = json.load(r)["content"]
    return [
        f"{o['ename']}: {o['evalue']}"
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def check_layout(page) -> list:
    """Every panel control visible, inside the notebook, with a non-zero width; no slider track squeezed
    away; no label cut; no value reading NaN."""
    problems = []
    right = page.locator(".jp-NotebookPanel-notebook:visible").first.bounding_box()
    assert page.locator(".jp-NotebookPanel-notebook").count() == 1, "one notebook open, no hidden tabs"
    for i, control in enumerate(page.locator(f".jp-Notebook {CONTROLS}").all()):
        # scrolled by the page's own scrollIntoView: Playwright's waits for the control to be visible first,
        # and JupyterLab leaves the layout of cells far off screen undone (content-visibility) until scrolled to
        control.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        box = control.bounding_box()
        text = control.inner_text().strip()[:40]
        if box is None or box["width"] < 1 or box["height"] < 1:
            problems.append(f"control {i} ({text!r}) is not visible")
            continue
        if box["x"] + box["width"] > right["x"] + right["width"] + 1:
            problems.append(f"control {i} ({text!r}) runs off the notebook's right edge")
        track = control.locator(".slider-container")
        if track.count() and (track.first.bounding_box() or {"width": 0})["width"] < 40:
            problems.append(f"slider {i} ({text!r}) has a track {track.first.bounding_box()} wide")
        if control.evaluate(
            "e => [...e.querySelectorAll('label, .widget-label-basic, button')]"
            ".some(l => l.scrollWidth > l.clientWidth + 1)"
        ):
            problems.append(f"control {i} ({text!r}) has a label cut short")
    readouts = page.eval_on_selector_all(
        ".jp-Notebook .widget-readout, .jp-Notebook .jupyter-widgets input",
        "els => els.map(e => e.value ?? e.textContent)",
    )
    problems += [f"a value reads {r!r}" for r in readouts if r and "nan" in str(r).lower()]
    return problems


@pytest.mark.parametrize("name", PANEL_NOTEBOOKS)
def test_panels_render_respond_and_fit_in_jupyterlab(browser, lab, name):
    base, _ = lab
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(30_000)
    try:
        # a workspace of its own, reset: JupyterLab would otherwise reopen the notebooks of earlier tests in
        # hidden tabs, whose controls are in the page but not visible
        page.goto(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?reset")
        run_all(page, name)
        # badges: images, not Markdown source
        first = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown").first
        assert first.locator("img").count() == 2 and "[![" not in first.inner_text()
        assert page.get_by_text("Error displaying widget").count() == 0
        assert page.locator(".jp-Notebook .widget-hslider").count() > 0
        assert page.locator(".jp-Notebook .widget-dropdown select").count() > 0
        errors = saved_errors(base, name, page)
        assert errors == [], errors
        assert page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)").count() == 0
        news = page.locator(".jp-toast-container button", has_text=re.compile(r"^No$"))
        if news.count():  # "get notified about Jupyter news?": no, and out of the way
            news.first.click()
        # the file browser open, as a learner has it
        if not page.locator("#filebrowser").is_visible():
            page.locator(".jp-SideBar [data-id='filebrowser']").first.click()
        page.wait_for_timeout(1000)
        problems = check_layout(page)
        page.locator(".jp-Notebook .widget-hslider:visible").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"lab-{name}-layout.png"))
        assert problems == [], problems
        # one control changed: its panel's figure changes
        before = widget_images(page)
        if name == "00_tour":
            menu = page.locator(".jp-Notebook .widget-dropdown select").first
            menu.select_option(index=1)
        else:
            slider = page.locator(".jp-Notebook .widget-hslider:visible").first
            slider.locator(".noUi-handle, .ui-slider-handle").first.focus()
            page.keyboard.press("ArrowLeft")  # N one lower (the notebook leaves it at its maximum)
            page.locator(".jp-Notebook button.widget-button", has_text="evaluate").first.click()
        assert changed(page, before), "the panel's figure did not change"
        page.wait_for_timeout(1000)
        page.screenshot(path=str(SHOTS / f"lab-{name}-changed.png"))
        assert page.get_by_text("Error displaying widget").count() == 0
        assert page.locator(".jp-Notebook .widget-output", has_text="error:").count() == 0
        assert check_layout(page) == []
    finally:
        page.close()


@pytest.fixture(scope="module")
def site():
    """The website ``make book`` builds (built here if missing), served on a free port of 127.0.0.1."""
    if not (BUILD / "book" / "index.html").exists():
        subprocess.run([sys.executable, str(ROOT / "book" / "build.py")], check=True, cwd=ROOT, timeout=3600)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BUILD / "book")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_site_pages_show_their_figures_and_no_internal_link_is_broken(browser, site):
    pages = ["index.html"] + [f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(30_000)
    problems, links = [], set()
    try:
        for path in pages:
            url = f"{site}/{path}"
            response = page.goto(url, wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{path}: HTTP {response and response.status}")
                continue
            figures = page.eval_on_selector_all(
                "article img",
                "els => els.filter(e => !/^https?:/.test(e.getAttribute('src') || ''))"
                ".map(e => [e.getAttribute('src'), e.naturalWidth, e.getBoundingClientRect().width])",
            )
            if path != "index.html":
                if not figures:
                    problems.append(f"{path}: no figures (was the notebook executed into build/?)")
                problems += [
                    f"{path}: figure {src} not shown" for src, natural, width in figures if not natural or not width
                ]
                assert page.locator("input[type=search], .search-button, form.bd-search").count() > 0
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                if href.startswith(site):
                    links.add((path, href.split("#")[0]))
            local = page.locator("article img:not([src^='http'])")
            if local.count():  # the screenshot shows the page's first figure
                local.first.scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"site-{Path(path).stem}.png"))
        checked = {}
        for source, target in sorted(links):
            if target not in checked:
                try:
                    with urllib.request.urlopen(target, timeout=10) as r:
                        checked[target] = r.status
                except urllib.error.HTTPError as err:
                    checked[target] = err.code
            if checked[target] != 200:
                problems.append(f"{source}: broken link {urlparse(target).path} ({checked[target]})")
        assert len(checked) >= len(pages)
        assert problems == [], problems
    finally:
        page.close()


def test_each_page_links_to_binder_and_colab(site):
    html = (BUILD / "book" / "notebooks" / "05_few_shot.html").read_text()
    assert "mybinder.org/v2/gh/" in html and "colab.research.google.com/github/" in html
    assert urljoin(site, "search.html") and (BUILD / "book" / "search.html").exists()


def test_site_renders_its_maths_offline(browser, site):
    """The maths of a page is typeset by the MathJax copied into the site (nothing reachable beyond
    127.0.0.1 here): every inline and display formula becomes MathJax output, and no raw ``\\(`` is left."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{site}/notebooks/01_fine_tuning.html", wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.isReady")
        page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")  # after every formula is typeset
        sources = page.locator("article .math.notranslate").count()
        typeset = page.eval_on_selector_all("article script[type^='math/tex']", "els => els.length")
        raw = page.eval_on_selector_all(
            "article .math.notranslate", "els => els.filter(e => /\\\\[(\\[]/.test(e.innerText)).map(e => e.innerText)"
        )
        assert sources >= 10 and typeset == sources, (sources, typeset)
        assert raw == [], raw[:3]
        page.locator("article .MathJax_Display").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "site-maths.png"))
    finally:
        page.close()
