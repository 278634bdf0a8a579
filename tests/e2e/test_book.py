"""The book in a browser: every page loads, no broken internal link, no missing image.

The book is built once (``course_lib.tools.book.build``) and served over local HTTP.
Requests to other hosts (MathJax's CDN) are refused by the test, so the crawl
is the same with or without a network.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

from course_lib.tools.coursemap import chapters


def _internal(url: str, base: str) -> bool:
    return url.startswith(base + "/")


def _exists(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except urllib.error.URLError:
        return False


def test_every_page_loads_with_working_links_and_images(page, book_site):
    base, _ = book_site
    start = time.perf_counter()
    external_requests = []

    def only_local(route):
        if _internal(route.request.url, base):
            route.continue_()
        else:  # the CDN (MathJax): not needed here
            external_requests.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    failed = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if _internal(r.url, base) and r.status >= 400
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda r: failed.append(f"failed {r.url}") if _internal(r.url, base) else None,
    )

    # search.html is reached through the search box (a form), not a link: start there too.
    queue = deque([f"{base}/index.html", f"{base}/search.html"])
    seen, problems, ids_of = set(), [], {}
    anchors, others = [], set()
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"{url}: HTTP {response.status if response else 'no response'}")
            continue
        info = page.evaluate("""() => ({
            links: [...document.querySelectorAll('a[href]')].map(a => a.href),
            ids: [...document.querySelectorAll('[id]')].map(e => e.id),
            images: [...document.images].map(i => ({src: i.currentSrc || i.src,
                                                   ok: i.complete && i.naturalWidth > 0})),
        })""")
        ids_of[url] = set(info["ids"])
        for image in info["images"]:
            if _internal(image["src"], base) and not image["ok"]:
                problems.append(f"{url}: image {image['src']} does not load")
        for link in info["links"]:
            if not _internal(link, base):
                continue
            target, _, fragment = link.partition("#")
            if target.endswith((".html", "/")):
                if target.endswith("/"):
                    target += "index.html"
                queue.append(target)
                if fragment:
                    anchors.append((url, target, urllib.parse.unquote(fragment)))
            else:
                others.add((url, target))
    for url, target in sorted(others):  # downloads, images, _sources/*.ipynb
        if not _exists(target):
            problems.append(f"{url}: link to {target} is broken")
    for url, target, fragment in anchors:
        if target in ids_of and fragment not in ids_of[target]:
            problems.append(f"{url}: link to {target}#{fragment}: no such anchor")
    problems += [f"resource: {f}" for f in failed]

    expected = {f"{base}/index.html", f"{base}/GLOSSARY.html"}
    for ch in chapters():
        expected.add(f"{base}/notebooks/{ch.number}_{ch.slug}.html")
        if ch.has_exercises:
            expected.add(f"{base}/exercises/{ch.number}_{ch.slug}.html")
    missing = sorted(expected - seen)
    print(
        f"\ncrawled {len(seen)} pages, {len(anchors)} anchors, {len(others)} other links in "
        f"{time.perf_counter() - start:.1f} s; {len(set(external_requests))} external requests "
        f"refused"
    )
    assert not missing, f"pages not reachable from the index: {missing}"
    assert not problems, "\n".join(problems)


def test_chapter_page_has_math_figures_outputs_and_navigation(page, book_site):
    base, _ = book_site
    page.route(
        "**/*",
        lambda route: route.continue_() if _internal(route.request.url, base) else route.abort(),
    )
    page.goto(f"{base}/notebooks/02_gradient_descent.html", wait_until="load")
    assert page.locator("div.math, span.math").count() > 5, "the math was not kept as math"
    assert page.locator("script[src*='mathjax']").count() == 1, "MathJax is not loaded"
    assert page.locator(".cell_output img").count() >= 3, "the figures are missing"
    assert page.locator(".cell_output .output").count() > 3, "the printed outputs are missing"
    assert page.locator(".widget-note").count() >= 1, "the widget note is missing"
    nav = page.locator(".prev-next-area a")
    hrefs = [nav.nth(i).get_attribute("href") for i in range(nav.count())]
    assert any("01_loss_functions" in h for h in hrefs), hrefs
    assert any("03_momentum_rmsprop_adam" in h for h in hrefs), hrefs
    toc = page.locator(".bd-sidebar-primary a.reference.internal")
    assert toc.count() >= len(chapters()), "the table of contents is incomplete"


def test_search_finds_a_chapter(page, book_site):
    base, _ = book_site
    page.route(
        "**/*",
        lambda route: route.continue_() if _internal(route.request.url, base) else route.abort(),
    )
    page.goto(f"{base}/search.html?q=momentum", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=30_000)
    texts = " ".join(results.all_inner_texts())
    assert "Momentum" in texts or "momentum" in texts, texts
