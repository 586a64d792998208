"""Serve the Dagster UI, the dashboards and the HTTP API together: they start and stop together.

Each server runs in its own process group (so Ctrl-C at the terminal reaches only `cvd up`, which
then stops every group whole, grandchildren included). SIGINT or SIGTERM stops them all and
returns 0; if one server exits by itself, the others are stopped and :func:`serve` returns
non-zero, naming the one that died.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import dashboards

log = logging.getLogger(__name__)

DASHBOARD_APP = Path(dashboards.__file__).resolve().parent / "app.py"
# Streamlit reads .streamlit/config.toml only from the working directory: pass it as flags.
STREAMLIT_CONFIG = DASHBOARD_APP.parents[1] / ".streamlit" / "config.toml"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The Dagster UI has no sign-in and accepts cross-site state changes (a text/plain POST to
# /graphql from any page starts a sensor): it never listens beyond this machine.
LOOPBACK = "127.0.0.1"
DAGSTER_UI_WARNING = (
    "the Dagster UI has no sign-in and accepts requests from any web page: it listens on "
    "127.0.0.1 only; to reach it from elsewhere, put the authenticating proxy of "
    "docs/deploy.md in front of it"
)
LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "localhost"})
DASHBOARDS_BEYOND_LOOPBACK_WARNING = (
    "the dashboards listen on {host}, beyond this machine: anyone who can reach that address "
    "gets the sign-in page over plain HTTP (passwords and session cookies unencrypted); use "
    "it only on a network you trust, and put the TLS proxy of docs/deploy.md in front"
)
# Exit code when a server stopped by itself (its own code is printed beside it).
SERVER_DIED = 3


@dataclass(frozen=True)
class Server:
    """A server process to run: a name for messages, its command line, the URL it serves and
    a warning printed beside the URL (empty for none)."""

    name: str
    argv: tuple[str, ...]
    url: str
    warning: str = ""


def dagster_server(port: int) -> Server:
    """`dagster dev` over the CVD definitions (the UI, the daemon for sensors and schedules),
    on the loopback only: no option or environment variable moves it (an explicit ``-h`` beats
    ``DAGSTER_WEBSERVER_HOST``)."""
    argv = ("-m", "dagster", "dev", "-m", "orchestration.definitions", "-h", LOOPBACK)
    return Server(
        "Dagster UI",
        (sys.executable, *argv, "-p", str(port)),
        f"http://{LOOPBACK}:{port}",
        DAGSTER_UI_WARNING,
    )


def streamlit_options(config: Path = STREAMLIT_CONFIG) -> tuple[str, ...]:
    """The options of the shipped ``.streamlit/config.toml`` as ``--section.name value`` flags."""
    with config.open("rb") as handle:
        sections = tomllib.load(handle)
    flags: list[str] = []
    for section, options in sections.items():
        for name, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{name}", text]
    return tuple(flags)


def dashboard_server(port: int, host: str = LOOPBACK) -> Server:
    """`streamlit run dashboards/app.py`, headless, no usage statistics, with the shipped
    Streamlit options (no error details, small uploads, minimal toolbar); on the loopback unless
    ``host`` says otherwise (then with a warning printed beside its URL)."""
    argv = (
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--browser.gatherUsageStats",
        "false",
        *streamlit_options(),
    )
    shown = f"[{host}]" if ":" in host else host
    warning = "" if host in LOOPBACK_ADDRESSES else DASHBOARDS_BEYOND_LOOPBACK_WARNING
    return Server(
        "dashboards",
        (sys.executable, *argv),
        f"http://{shown}:{port}",
        warning.format(host=host),
    )


def api_server(port: int, host: str = "127.0.0.1") -> Server:
    """`cvd api`: the HTTP API (intake, read API, health, metrics) over the same home."""
    argv = ("-m", "orchestration", "api", "--host", host, "--port", str(port))
    return Server("API", (sys.executable, *argv), f"http://{host}:{port}")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(pid, sig)


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover  (a reused id owned by someone else)
        return False
    return True


def stop_all(processes: Sequence[subprocess.Popen[bytes]], grace_seconds: float = 30.0) -> None:
    """SIGTERM every process group, wait up to ``grace_seconds``, then SIGKILL what is left."""
    for proc in processes:
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for proc in processes:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s: killing it", proc.args, grace_seconds)
    for proc in processes:
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)  # children of the group finishing their own shutdown
        if _group_alive(proc.pid):
            _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        # killed members of the group can outlive the leader for a moment (until they are
        # reaped): return only when the whole group is gone, so the ports are free again
        settle = time.monotonic() + 10.0
        while _group_alive(proc.pid) and time.monotonic() < settle:
            time.sleep(0.05)


def serve(
    servers: Sequence[Server],
    *,
    env: Mapping[str, str] | None = None,
    announce: Callable[[str], None] = print,
    poll_seconds: float = 0.5,
) -> int:
    """Run ``servers`` until SIGINT/SIGTERM (exit 0) or until one exits (``SERVER_DIED``)."""
    stop_requested: list[signal.Signals] = []

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.append(signal.Signals(signum))

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for server in servers:
            processes.append(
                subprocess.Popen(  # noqa: S603  (our interpreter, fixed module arguments)
                    server.argv, env=dict(env or os.environ), start_new_session=True
                )
            )
            announce(f"{server.name}: {server.url}   (pid {processes[-1].pid})")
            if server.warning:
                announce(f"  warning: {server.warning}")
        announce("Ctrl-C stops them all.")
        while not stop_requested:
            for server, proc in zip(servers, processes, strict=True):
                code = proc.poll()
                if code is not None:
                    others = ", ".join(s.name for s in servers if s is not server)
                    announce(f"{server.name} exited with code {code}: stopping {others}")
                    return SERVER_DIED
            time.sleep(poll_seconds)
        announce(f"{stop_requested[0].name}: stopping " + ", ".join(s.name for s in servers))
        return 0
    finally:
        stop_all(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
