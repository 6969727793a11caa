"""The verification page: server-rendered, no external assets, kk/ru/en; and in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from registry_api.public.labels import negotiate
from tests.node.rpc.serving import serve
from tests.registry_api.public.test_api import _store

pytestmark = [pytest.mark.slow, pytest.mark.network]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_language_negotiation():
    assert negotiate("kk", "ru") == "kk"
    assert negotiate(None, "ru-RU,ru;q=0.9,en;q=0.5") == "ru"
    assert negotiate(None, "de, kk;q=0.4, ru;q=0.3") == "kk"
    assert negotiate(None, "de, fr") == "en"
    assert negotiate("xx", None) == "en"


def test_the_form_is_self_contained(client):
    page = client.get("/verify", params={"lang": "kk"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'lang="kk"' in html and "Рұқсатты тексеру" in html
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert not re.search(r'href="https?://', html)
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_qr_url_shows_every_check_in_russian(app, client, chain_env):
    permit = chain_env.make_permit()
    _store(app, permit, sha256_hex=permit.sha256.hex())
    html = client.get(f"/verify/{permit.number}", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert 'data-verdict="valid"' in html and "Разрешение действительно" in html
    for label in (
        "Целостность документа",
        "Подпись ЭЦП",
        "Запись в блокчейне",
        "Срок действия",
        "Эмитент в реестре",
    ):
        assert label in html
    assert html.count('data-outcome="pass"') == 6


def test_a_revoked_permit_says_when_and_why(client, chain_env):
    permit = chain_env.make_permit()
    write = chain_env.writer.revoke(permit.sha256, 7)
    day = chain_env.block_time(write).astimezone(chain_env.profile.timezone).date().isoformat()
    html = client.get(f"/verify/{permit.number}", params={"lang": "ru"}).text
    assert 'data-verdict="invalid"' in html
    assert f"Отозвано {day}, причина 7" in html


def test_upload_through_the_form(client, chain_env):
    permit = chain_env.make_permit()
    files = {
        "document": ("permit.json", permit.document, "application/json"),
        "signature": ("permit.json.p7s", permit.signature, "application/octet-stream"),
        "hash": (None, ""),
        "number": (None, ""),
        "at": (None, ""),
    }
    html = client.post("/verify", params={"lang": "en"}, files=files).text
    assert 'data-verdict="valid"' in html and "The permit is valid" in html
    empty = client.post("/verify", params={"lang": "en"}, files={"number": (None, "")})
    assert empty.status_code == 422 and 'id="error"' in empty.text


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_page_in_headless_chromium(app, chain_env, tmp_path):
    permit = chain_env.make_permit()
    _store(app, permit, sha256_hex=permit.sha256.hex())
    assert CHROMIUM is not None
    with serve(app) as base:
        url = f"{base}/verify/{permit.number}?lang=kk"
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
        dom = subprocess.run(
            [CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        screenshot = tmp_path / "verify.png"
        subprocess.run(
            [CHROMIUM, *flags, f"--screenshot={screenshot}", "--window-size=1200,1600", url],
            capture_output=True,
            timeout=60,
            check=True,
        )
    assert 'data-verdict="valid"' in dom and "Рұқсат жарамды" in dom
    for label in ("Құжаттың тұтастығы", "ЭЦҚ қолтаңбасы", "Блокчейнде тіркелуі", "Қолданылу мерзімі"):
        assert label in dom
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
