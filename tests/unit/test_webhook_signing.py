"""Webhook signatures and the SSRF guard: pure functions, no I/O."""

from __future__ import annotations

import pytest

from contexts.webhooks.signing import sign, verify
from contexts.webhooks.urls import UnsafeUrl, check_url


def test_a_signature_verifies_only_with_its_secret_body_and_time() -> None:
    header = sign("s3cret", b'{"a":1}', timestamp=1_000_000)
    assert verify("s3cret", header, b'{"a":1}', now=1_000_010)
    assert not verify("other", header, b'{"a":1}', now=1_000_010)
    assert not verify("s3cret", header, b'{"a":2}', now=1_000_010)
    assert not verify("s3cret", header, b'{"a":1}', now=1_000_000 + 301)  # a late replay
    assert not verify("s3cret", "garbage", b'{"a":1}', now=1_000_010)


def test_a_rotation_header_with_two_signatures_passes_on_either() -> None:
    header = sign("new", b"x", timestamp=5) + "," + sign("old", b"x", timestamp=5).split(",")[1]
    assert verify("old", header, b"x", now=5) and verify("new", header, b"x", now=5)


@pytest.mark.parametrize(
    "url", ["ftp://example.com", "javascript:alert(1)", "http://", "https://u:p@example.com"]
)
def test_non_http_urls_are_refused_everywhere(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, production=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/x",
        "http://127.0.0.1/",
        "http://10.0.0.7/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://db.internal/",
    ],
)
def test_internal_targets_are_refused_in_production_only(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, production=True)
    assert check_url(url, production=False) == url


def test_public_urls_pass_in_production() -> None:
    assert check_url("https://hooks.example.com/t", production=True)
