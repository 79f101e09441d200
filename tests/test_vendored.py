"""The vendored front-end files (scripts/vendor) are the ones the lock pins: each committed
file's sha256 is the one recorded, and the lock names only registry tarballs with their
sha512 integrity. Offline: nothing is downloaded."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

import cdrhub

VENDOR = Path(cdrhub.__file__).parent / "web" / "static" / "vendor"
# The browser tests' own (axe-core): under tests/, never in the package.
TEST_VENDOR = Path(__file__).resolve().parent / "browser" / "vendor"
FOLDERS = pytest.mark.parametrize("folder", [VENDOR, TEST_VENDOR], ids=["package", "tests"])


def _lock(folder: Path) -> dict:
    return json.loads((folder / "vendor.lock.json").read_text())


@FOLDERS
def test_every_vendored_file_matches_its_recorded_sha256(folder: Path) -> None:
    checked = []
    for package, entry in _lock(folder)["packages"].items():
        for name, digest in entry["files"].items():
            data = (folder / package / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, f"{package}/{name}"
            checked.append(f"{package}/{name}")
    expected = "swagger-ui-dist/swagger-ui-bundle.js" if folder == VENDOR else "axe-core/axe.min.js"
    assert expected in checked


@FOLDERS
def test_the_vendor_folder_holds_only_locked_files(folder: Path) -> None:
    locked = {f"{p}/{n}" for p, e in _lock(folder)["packages"].items() for n in e["files"]}
    present = {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name != "vendor.lock.json"
    }
    assert present == locked


@FOLDERS
def test_each_package_is_pinned_to_a_registry_tarball_and_its_integrity(folder: Path) -> None:
    for package, entry in _lock(folder)["packages"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), package
        base = package.rsplit("/", 1)[-1]
        assert entry["tarball"] == (
            f"https://registry.npmjs.org/{package}/-/{base}-{entry['version']}.tgz"
        )
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry["integrity"]), package
