"""The reference packages installed for the differential tests are the pinned ones."""

from __future__ import annotations

import json

from tests.reference.node import NODE_MODULES, PACKAGE_JSON, ensure_installed, run_driver


def test_installed_versions_are_the_pins() -> None:
    ensure_installed()
    pins = json.loads(PACKAGE_JSON.read_text())["dependencies"]
    for name, version in pins.items():
        installed = json.loads((NODE_MODULES / name / "package.json").read_text())["version"]
        assert installed == version, name


def test_driver_round_trip() -> None:
    # The driver protocol itself: JSON in on stdin, JSON out on stdout.
    out = run_driver("versions.mjs", {"echo": [1, "two"]})
    assert out["echo"] == [1, "two"]
    pins = json.loads(PACKAGE_JSON.read_text())["dependencies"]
    assert out["versions"] == {name: pins[name] for name in ("ai", "@ai-sdk/google")}
