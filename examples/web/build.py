"""Build the chat service's pages (``examples/web/dist/``) from the pinned npm packages.

``ensure_built()`` installs ``examples/web/package.json`` into the git-ignored
``node_modules/`` (once per change of that file) and runs ``build.mjs`` (esbuild)
when a source is newer than the bundle; a file lock keeps concurrent callers
(test processes, ``python3 tasks.py web``) to one build. Standard library only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
DIST = WEB / "dist"
NODE_MODULES = WEB / "node_modules"
SOURCES = ("package.json", "build.mjs", "chat.jsx", "chat.css", "realtime.jsx")
OUTPUTS = ("chat.js", "chat.css", "realtime.js")
_STAMP = NODE_MODULES / ".partstream-installed"
_LOCK = WEB / ".build.lock"


class NodeMissing(RuntimeError):
    """node or npm is not on PATH: the pages cannot be built here."""


def tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeMissing(f"{'node' if node is None else 'npm'} is not on PATH")
    return node, npm


def _stale() -> bool:
    newest = max((WEB / name).stat().st_mtime for name in SOURCES)
    outputs = [DIST / name for name in OUTPUTS]
    return not all(out.is_file() for out in outputs) or any(
        out.stat().st_mtime < newest for out in outputs
    )


def _run(what: str, *command: str, timeout: float) -> None:
    done = subprocess.run(
        command, cwd=WEB, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} in {WEB} failed:\n{done.stderr[-4000:]}")


def ensure_built(*, force: bool = False) -> Path:
    """Install the packages and build the pages if needed; the ``dist`` folder."""
    node, npm = tools()
    digest = hashlib.sha256((WEB / "package.json").read_bytes()).hexdigest()
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (_STAMP.exists() and _STAMP.read_text() == digest):
            install = (
                "install",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--loglevel=error",
            )
            _run("npm install", npm, *install, timeout=600)
            _STAMP.write_text(digest)
            force = True
        if force or _stale():
            _run("the esbuild bundle", node, "build.mjs", timeout=300)
            for name in OUTPUTS:  # esbuild keeps an unchanged file's time: mark the build
                (DIST / name).touch()
    return DIST


def main() -> int:
    try:
        dist = ensure_built(force="--force" in sys.argv)
    except NodeMissing as exc:
        print(f"cannot build the chat page: {exc} (install Node.js 20+ and npm)", file=sys.stderr)
        return 1
    sizes = {name: (dist / name).stat().st_size for name in OUTPUTS}
    print(f"built {dist}: " + json.dumps(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
