"""``wom app``'s server: checks the address, starts ``solara run sim.classroom.page``, stops it fast.

The page's server is a child process (solara's own runner); the scenario reaches it through an
environment variable. It listens on 127.0.0.1 unless told otherwise, and says so loudly when
told otherwise: anyone who can reach the address can use the page and the machine's CPU.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sim.classroom.settings import SCENARIO_ENV
from sim.core.errors import InputError

DEFAULT_PORT = 8765
STOP_GRACE = 1.0  # seconds the server gets to stop before it is killed (wom app exits within 2 s)
READY_WAIT = 120.0


def check_host(host: str) -> str:
    """An IP address (or ``localhost``) to listen on; anything else is one clear error."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        raise InputError(
            "--host",
            "host",
            host,
            "must be an IP address: 127.0.0.1 (this machine only) or 0.0.0.0 (every network interface)",
        ) from None


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no conflict
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(host: str, port: int | None) -> int:
    """``port`` if it is free on ``host`` (else one error line); without one, 8765 or any free port."""
    if port is not None:
        if not _bindable(host, port):
            raise InputError("--port", "port", port, f"is in use on {host} or not allowed; choose another port")
        return port
    if _bindable(host, DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if ``wom app`` dies, so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def stop(server: subprocess.Popen) -> None:
    """Stop the server: SIGTERM, then SIGKILL after ``STOP_GRACE`` (its websockets can hold it for 10 s)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def serve(scenario: Path, host: str = "127.0.0.1", port: int | None = None) -> int:
    """Check the address, then run the page's server until it stops or we are stopped."""
    host = check_host(host)
    port = choose_port(host, port)
    if not is_loopback(host):
        print(
            f"warning: listening on {host}: anyone on your network who can reach this machine can use the page "
            "(and its CPU); use --host 127.0.0.1 to keep it to this machine",
            file=sys.stderr,
            flush=True,
        )
    env = {
        **os.environ,
        SCENARIO_ENV: str(scenario.resolve()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_THEME_SHOW_BANNER": "false",
    }
    command = [sys.executable, "-m", "solara", "run", "sim.classroom.page", "--host", host, "--port", str(port)]
    command += ["--no-open", "--no-check-version", "--production", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)
    address = ipaddress.ip_address(host)
    if address.is_unspecified:  # every interface: this machine can reach it on loopback
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    url = f"http://{f'[{address}]' if address.version == 6 else address}:{port}/"
    print(f"wom classroom page: {url}  (server pid {server.pid}; Ctrl-C stops it)", flush=True)

    stopping: list[int] = []  # the handler only notes the signal: waiting inside it can deadlock Popen.wait
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    deadline = time.monotonic() + READY_WAIT
    while server.poll() is None and not stopping and time.monotonic() < deadline:
        try:
            with direct.open(url, timeout=2):
                pass
        except OSError:
            time.sleep(0.2)
            continue
        if server.poll() is None:  # the answer came from our server, which is still running
            print(f"ready: open {url} in a browser", flush=True)
        break
    while server.poll() is None and not stopping:
        time.sleep(0.1)
    if stopping:
        stop(server)
        print("stopped", flush=True)
        return 128 + stopping[0]
    if server.returncode:
        print(f"error: the page's server stopped with exit code {server.returncode}", file=sys.stderr, flush=True)
    return server.returncode
