"""Request counts and latencies kept in process, rendered with the platform's own figures in
the Prometheus text format (version 0.0.4)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

# Latency buckets (seconds): an intake answer is milliseconds, a large read a fraction of one.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    """A label value as the text format wants it (backslash, quote and newline escaped)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + body + "}" if body else ""


class Metrics:
    """Thread-safe counters of this process (they start at zero with it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency_buckets: dict[str, list[int]] = {}
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.auth_failures: dict[str, int] = defaultdict(int)
        self.intake: dict[str, int] = defaultdict(int)
        self.limited = 0

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            counts = self.latency_buckets.setdefault(route, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.latency_sum[route] += seconds
            self.latency_count[route] += 1

    def auth_failure(self, reason: str) -> None:
        """A request refused for its token: missing, invalid (401) or wrong scope (403)."""
        with self._lock:
            self.auth_failures[reason] += 1

    def rate_limited(self) -> None:
        """A request refused with 429."""
        with self._lock:
            self.limited += 1

    def received(self, outcome: str) -> None:
        """A file pushed over HTTP: received, duplicate or already_recorded."""
        with self._lock:
            self.intake[outcome] += 1

    def render(self) -> list[str]:
        """This process's metrics as Prometheus text lines."""
        lines = [
            "# HELP cvd_api_requests_total HTTP requests answered, by method, route and status.",
            "# TYPE cvd_api_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                labels = _labels([("method", method), ("route", route), ("status", status)])
                lines.append(f"cvd_api_requests_total{labels} {n}")
            lines += [
                "# HELP cvd_api_request_duration_seconds Time to answer, by route.",
                "# TYPE cvd_api_request_duration_seconds histogram",
            ]
            for route, counts in sorted(self.latency_buckets.items()):
                for bound, n in zip(BUCKETS, counts, strict=True):
                    labels = _labels([("route", route), ("le", repr(bound))])
                    lines.append(f"cvd_api_request_duration_seconds_bucket{labels} {n}")
                inf = _labels([("route", route), ("le", "+Inf")])
                lines.append(
                    f"cvd_api_request_duration_seconds_bucket{inf} {self.latency_count[route]}"
                )
                one = _labels([("route", route)])
                lines.append(
                    f"cvd_api_request_duration_seconds_sum{one} {self.latency_sum[route]:.6f}"
                )
                lines.append(
                    f"cvd_api_request_duration_seconds_count{one} {self.latency_count[route]}"
                )
            lines += [
                "# HELP cvd_api_auth_failures_total Requests refused for their token, by reason.",
                "# TYPE cvd_api_auth_failures_total counter",
                *(
                    f"cvd_api_auth_failures_total{_labels([('reason', r)])} {n}"
                    for r, n in sorted(self.auth_failures.items())
                ),
                "# HELP cvd_api_rate_limited_total Requests refused with 429.",
                "# TYPE cvd_api_rate_limited_total counter",
                f"cvd_api_rate_limited_total {self.limited}",
                "# HELP cvd_api_files_total Files pushed over HTTP by this process, by outcome.",
                "# TYPE cvd_api_files_total counter",
                *(
                    f"cvd_api_files_total{_labels([('outcome', o)])} {n}"
                    for o, n in sorted(self.intake.items())
                ),
            ]
        return lines
