"""A real ``redis-server`` on 127.0.0.1 for the tests and benchmarks (never a mock).

``with RedisServer() as server: server.url`` starts one on a free port in a
temporary directory (no persistence unless ``appendonly=True``, then every
write is fsynced so a SIGKILL loses nothing), and stops it at exit.
``kill()`` / ``start()`` restart it on the same port, for the restart tests.
``.ci/run`` installs the server when it is missing (Debian's ``redis-server``).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["REDIS_SERVER", "RedisServer", "free_port"]

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process; ``url`` carries the password when there is one."""

    def __init__(
        self,
        *,
        password: str | None = None,
        appendonly: bool = False,
        port: int | None = None,
    ) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (.ci/run installs it)")
        self.password = password
        self.appendonly = appendonly
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="partstream-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def start(self, timeout: float = 10.0) -> None:
        assert REDIS_SERVER is not None
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", self._dir.name, "--save", "", "--daemonize", "no"]
        args += ["--logfile", str(Path(self._dir.name) / "redis.log")]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = Path(self._dir.name) / "redis.log"
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                raise RuntimeError(f"redis-server exited with {self._proc.returncode}: {tail}")
            if self._answers():
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"redis-server did not answer on port {self.port} in {timeout} s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                reply = sock.recv(64)  # +PONG, or -NOAUTH ... with a password: it is up either way
        except OSError:
            return False
        return reply[:1] in (b"+", b"-")

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as in a crash."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        if proc is not None:
            proc.wait(10)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._dir.cleanup()
