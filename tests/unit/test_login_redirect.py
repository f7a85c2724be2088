"""The login page's ``next`` parameter (web/js/redirect.js, run under node): only a
page of this site, whatever spelling the browser's URL parser would turn elsewhere."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "web" / "js" / "redirect.js"
ORIGIN = "https://tickets.example.com"
HOME = f"{ORIGIN}/web/"


def targets(values: list[object]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = (
        f"import {{ sameOriginTarget }} from {json.dumps(MODULE.as_uri())};\n"
        f"const values = {json.dumps(values)};\n"
        f"const origin = {json.dumps(ORIGIN)};\n"
        "console.log(JSON.stringify(values.map((v) => sameOriginTarget(v, origin))));"
    )
    run = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(run.stdout)


ELSEWHERE = [
    "/%5Cexample.invalid/",  # the reported one, as the page's URLSearchParams decodes it...
    "/\\example.invalid/",  # ...into this: "\" is "/" to the URL parser
    "//example.invalid/",
    "\\\\example.invalid",
    "/\t/example.invalid/",  # tabs and newlines are dropped by the parser
    "/\n/example.invalid/",
    "https://example.invalid/web/",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https://tickets.example.com.example.invalid/",
    "https://tickets.example.com@example.invalid/",
    "http://tickets.example.com/web/",  # another scheme is another origin
    "",
    None,
]


def test_targets_off_the_site_fall_back_to_the_home_page() -> None:
    values: list[object] = [v.replace("%5C", "\\") if v else v for v in ELSEWHERE]
    assert targets(values) == [HOME] * len(values)


def test_pages_of_the_site_are_kept_with_their_query_and_fragment() -> None:
    got = targets(["/web/event.html?id=42#seats", "tickets.html", f"{ORIGIN}/web/admin.html",
                   "/.//example.invalid/", "https:example.invalid"])  # fmt: skip
    assert got == [
        f"{ORIGIN}/web/event.html?id=42#seats",
        f"{ORIGIN}/tickets.html",
        f"{ORIGIN}/web/admin.html",
        f"{ORIGIN}//example.invalid/",  # absolute: the path alone would leave the site
        f"{ORIGIN}/example.invalid",  # same scheme, no "//": a relative path
    ]
