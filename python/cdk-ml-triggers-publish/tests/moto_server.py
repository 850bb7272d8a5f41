"""moto's standalone server in a child process on 127.0.0.1, for checks against an independent EventBridge and SQS."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import IO, Optional

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """``python -m moto.server`` on a free loopback port; ``endpoint`` answers once ``start()`` returns."""

    def __init__(self) -> None:
        self.endpoint = ""
        self._process: Optional["subprocess.Popen[bytes]"] = None
        self._log: Optional[IO[bytes]] = None

    def start(self) -> None:
        """Starts the server; a port taken between choosing and binding it gets one more try on another port."""
        if not self._try_start() and not self._try_start():
            raise RuntimeError("moto.server found its port taken twice")

    def _try_start(self) -> bool:
        port = _free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self._process = process
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = self._output()
                self.stop()
                if "Address already in use" in output:
                    return False
                raise RuntimeError(f"moto.server exited with {process.returncode}:\n{output}")
            if self._answers():
                return True
            time.sleep(0.1)
        output = self._output()
        self.stop()
        raise TimeoutError(f"moto.server did not answer within {START_TIMEOUT_SECONDS:.0f} s:\n{output}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=PROBE_TIMEOUT_SECONDS):
                return True
        except urllib.error.HTTPError as answer:
            answer.close()
            return True  # any HTTP answer means it listens
        except (urllib.error.URLError, OSError):
            return False

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        """Ends the child process, forcefully if it does not end in STOP_TIMEOUT_SECONDS."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        if self._log is not None:
            self._log.close()
            self._log = None
