"""Content-Security-Policy per page: the API strict, the page its own files, docs inline."""

from __future__ import annotations

from videoforge.http.security import API_CSP, csp_by_path
from videoforge.settings import Settings


def test_page_loads_only_its_own_files_unless_s3_serves_media() -> None:
    policies = csp_by_path(Settings(_env_file=None))
    page = policies["/"].decode()
    assert "default-src 'self'" in page and "unsafe" not in page
    assert "media-src 'self' blob:;" in page
    assert "'unsafe-inline'" in policies["/docs"].decode()
    assert "default-src 'none'" in API_CSP


def test_presigned_redirects_let_the_player_reach_the_public_s3_endpoint() -> None:
    settings = Settings(
        _env_file=None,
        s3_endpoint="seaweed:8333",
        public_s3_endpoint="https://media.example.com",
        presigned_redirects=True,
    )
    page = csp_by_path(settings)["/"].decode()
    assert "media-src 'self' blob: https://media.example.com;" in page
    assert "connect-src 'self' https://media.example.com;" in page
