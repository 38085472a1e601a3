"""A small HTTP load client for `make bench`: N keep-alive connections request one URL for a
number of seconds and report requests per second and latency percentiles as JSON.

Run: .venv/bin/python bench/http_load.py URL [URL...] --token T --seconds 10 --connections 4
Used twice by bench/run.py: as the measured client, and (in another process) as the load the
measured client runs under. Standard library only, so its own cost is small and known.

Given several URLs, it measures them in turns (`--rounds`, each URL for seconds / rounds a
turn) and reports each: on a shared machine the load drifts within seconds, and URLs measured
one after the other would each meet a different machine; in turns they meet the same one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


def hammer(
    url: str, *, token: str, seconds: float, connections: int
) -> tuple[list[float], int, float]:
    """Latencies (ms), errors and elapsed seconds of `connections` clients for `seconds`."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - began) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - began


def measure(
    urls: list[str], *, token: str, seconds: float, connections: int, rounds: int = 1
) -> dict[str, dict[str, float]]:
    """Each URL's requests per second and latency percentiles, the URLs measured in turns."""
    seen: dict[str, tuple[list[float], list[int], list[float]]] = {
        url: ([], [], []) for url in urls
    }
    for _ in range(rounds):
        for url in urls:
            latencies, errors, elapsed = hammer(
                url, token=token, seconds=seconds / rounds, connections=connections
            )
            seen[url][0].extend(latencies)
            seen[url][1].append(errors)
            seen[url][2].append(elapsed)
    results = {}
    for url, (latencies, errors, elapsed) in seen.items():
        ordered = sorted(latencies) or [0.0]
        results[url] = {
            "requests": len(latencies),
            "errors": sum(errors),
            "rps": len(latencies) / sum(elapsed),
            "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", metavar="url")
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="turns, with several URLs")
    args = parser.parse_args()
    results = measure(
        args.urls,
        token=args.token,
        seconds=args.seconds,
        connections=args.connections,
        rounds=args.rounds,
    )
    # One URL: its figures; several: the figures of each, by URL.
    json.dump(results[args.urls[0]] if len(args.urls) == 1 else results, sys.stdout)


if __name__ == "__main__":
    main()
