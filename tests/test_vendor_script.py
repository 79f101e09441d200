"""scripts/vendor against a local server that answers like the npm registry (tarballs at
`/<name>/-/<name>-<version>.tgz`): it extracts only the listed files and records their sha256,
and refuses a tarball whose sha512 is not the locked integrity, a file that differs from its
recorded sha256, a listed file the tarball lacks, and a name leaving the package's folder,
writing nothing then."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "vendor"
NPM_URL = "https://registry.npmjs.org/widget/-/widget-1.0.0.tgz"


def _load() -> ModuleType:
    loader = SourceFileLoader("vendor_script", str(SCRIPT))
    module = ModuleType(loader.name)
    module.__file__ = str(SCRIPT)
    loader.exec_module(module)
    return module


vendor = _load()


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


TARBALL = _tarball(
    {"dist/widget.min.js": b"widget();\n", "widget.css": b"a{}\n", "README.md": b"# w\n"}
)
INTEGRITY = "sha512-" + base64.b64encode(hashlib.sha512(TARBALL).digest()).decode()


@pytest.fixture
def registry() -> Iterator[dict[str, bytes]]:
    """A registry serving `served[path]`; yields that dict (its "url" key: the base URL)."""
    served: dict[str, Any] = {"/widget/-/widget-1.0.0.tgz": TARBALL}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served["url"] = f"http://127.0.0.1:{server.server_port}"
    yield served
    server.shutdown()


def _entry(files: dict[str, str], integrity: str = INTEGRITY) -> dict[str, Any]:
    return {"version": "1.0.0", "tarball": NPM_URL, "integrity": integrity, "files": files}


def test_extracts_the_listed_files_and_records_their_sha256(registry, tmp_path: Path) -> None:
    entry = _entry({"dist/widget.min.js": "", "widget.css": ""})
    vendor.fetch("widget", entry, tmp_path, registry["url"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["widget/dist/widget.min.js", "widget/widget.css"]  # not the README
    assert entry["files"] == {
        "dist/widget.min.js": hashlib.sha256(b"widget();\n").hexdigest(),
        "widget.css": hashlib.sha256(b"a{}\n").hexdigest(),
    }
    lock = {"packages": {"widget": entry}}
    assert vendor.check(lock, tmp_path) == []
    (tmp_path / "widget" / "widget.css").write_bytes(b"a{color:red}\n")
    assert vendor.check(lock, tmp_path) == ["widget/widget.css: sha256 differs from the lock"]
    (tmp_path / "widget" / "widget.css").unlink()
    assert vendor.check(lock, tmp_path) == ["widget/widget.css: missing"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            _entry({"widget.css": ""}, integrity="sha512-" + "A" * 86 + "=="),
            f"widget: tarball integrity {INTEGRITY} != locked sha512-{'A' * 86}==",
        ),
        (_entry({"widget.css": "0" * 64}), "widget/widget.css: sha256 differs from the lock"),
        (_entry({"widget.css": "", "gone.js": ""}), "not in the tarball: gone.js"),
        (_entry({"../escape.js": ""}), "'../escape.js': not a plain relative path"),
    ],
)
def test_refuses_and_writes_nothing(registry, tmp_path: Path, entry, message: str) -> None:
    with pytest.raises(vendor.VendorError) as refused:
        vendor.fetch("widget", entry, tmp_path, registry["url"])
    assert str(refused.value) == message
    assert list(tmp_path.iterdir()) == []


def test_downloads_only_npm_registry_tarballs(registry, tmp_path: Path) -> None:
    entry = _entry({"widget.css": ""}) | {"tarball": "https://cdn.example/widget-1.0.0.tgz"}
    with pytest.raises(vendor.VendorError) as refused:
        vendor.fetch("widget", entry, tmp_path, registry["url"])
    assert str(refused.value) == (
        "https://cdn.example/widget-1.0.0.tgz: not on https://registry.npmjs.org"
    )


def test_another_lock_vendors_beside_itself(
    registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--lock PATH` (the browser tests' own axe-core): the files go to PATH's folder and
    `check` reads that lock, not the package's."""
    monkeypatch.setattr(vendor, "fetch", _fetch_from(registry["url"], vendor.fetch))
    lock_path = tmp_path / "tests" / "vendor.lock.json"
    lock_path.parent.mkdir()
    lock_path.write_text(json.dumps({"packages": {"widget": _entry({"widget.css": ""})}}))
    assert vendor.main(["--lock", str(lock_path)]) == 0
    assert (tmp_path / "tests" / "widget" / "widget.css").read_bytes() == b"a{}\n"
    assert vendor.read_lock(lock_path)["packages"]["widget"]["files"] == {
        "widget.css": hashlib.sha256(b"a{}\n").hexdigest()
    }
    assert vendor.main(["--lock", str(lock_path), "check"]) == 0
    (tmp_path / "tests" / "widget" / "widget.css").write_bytes(b"a{color:red}\n")
    assert vendor.main(["--lock", str(lock_path), "check"]) == 1
    assert capsys.readouterr().err == "widget/widget.css: sha256 differs from the lock\n"


def _fetch_from(url: str, real: Any) -> Any:
    return lambda package, entry, target: real(package, entry, target, url)
