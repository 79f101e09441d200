"""The vendored front-end files (scripts/vendor) are the ones the lock pins: each committed
file's sha256 is the one recorded, and the lock names only registry tarballs with their
sha512 integrity. Offline: nothing is downloaded."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import cdrhub

VENDOR = Path(cdrhub.__file__).parent / "web" / "static" / "vendor"
LOCK = json.loads((VENDOR / "vendor.lock.json").read_text())


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    checked = []
    for package, entry in LOCK["packages"].items():
        for name, digest in entry["files"].items():
            data = (VENDOR / package / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{package}/{name}"
            checked.append(f"{package}/{name}")
    assert "swagger-ui-dist/swagger-ui-bundle.js" in checked


def test_the_vendor_folder_holds_only_locked_files() -> None:
    locked = {f"{p}/{n}" for p, e in LOCK["packages"].items() for n in e["files"]}
    present = {
        path.relative_to(VENDOR).as_posix()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "vendor.lock.json"
    }
    assert present == locked


def test_each_package_is_pinned_to_a_registry_tarball_and_its_integrity() -> None:
    for package, entry in LOCK["packages"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), package
        base = package.rsplit("/", 1)[-1]
        assert entry["tarball"] == (
            f"https://registry.npmjs.org/{package}/-/{base}-{entry['version']}.tgz"
        )
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry["integrity"]), package
