"""Figure — ``liner serve`` latency and throughput against a zero-latency local STUB endpoint.

The service runs as its own process (``liner serve --model openai/stub --no-cache``), the stub in
another (``StubProcess``), the load generator here (httpx, C requests in flight), so none of the
three shares a GIL. Each level sends C x rounds single-item requests (distinct synthetic items,
so no response is served from a cache), then batches of 8 at C=4. Figures: p50/p99 request
latency in ms and items/s. On 2 shared cores the three processes compete for CPU: the numbers
are the toolkit's per-item CPU cost, not the endpoint's.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from typing import Any

COMMAND = "python -m benchmarks service"
LEVELS = (1, 4, 16, 32)
BATCH = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_service(stub_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench-dummy", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "serve", "--port", str(port), "--model",
                             "openai/stub", "--api-base", stub_url, "--no-cache", "--retries", "0",
                             "--concurrency", str(max(LEVELS)), "--max-queue", "4096", "--max-batch", "64"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"liner serve exited: {proc.stderr.read().decode()[-500:]}")
            try:
                if (await client.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("liner serve did not become ready")


async def _level(url: str, rows: list[dict[str, Any]], concurrency: int, batch: int) -> dict[str, float]:
    """Send ``rows`` in requests of ``batch`` items with ``concurrency`` in flight."""
    import httpx
    import numpy as np

    bodies = [{"item": rows[i]} if batch == 1 else {"items": rows[i:i + batch]} for i in range(0, len(rows), batch)]
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    lat: list[float] = []
    failed = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failed
        while not queue.empty():
            body = queue.get_nowait()
            t = time.perf_counter()
            r = await client.post(url + "/v1/enrich", json=body)
            lat.append(time.perf_counter() - t)
            failed += r.status_code != 200 or any(x["status"] != "ok" for x in r.json()["records"])

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    ms = np.array(lat) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "items_per_s": round(len(rows) / wall, 1), "failed": failed}


def run(quick: bool = False) -> dict[str, Any]:
    from linernotes.testing.openai_stub import StubProcess
    from linernotes.testing.synthetic import synthetic_rows

    rounds = 6 if quick else 25
    out: dict[str, Any] = {"command": COMMAND + (" --quick" if quick else ""), "stub_latency_ms": 0,
                           "rounds_per_level": rounds}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with StubProcess(latency_ms=0) as stub:
        proc = _start_service(stub.base_url, port)
        try:
            asyncio.run(_wait_ready(url, proc))
            start = 0
            warm = list(synthetic_rows(20, start=10_000_000))
            asyncio.run(_level(url, warm, 4, 1))
            for c in LEVELS:
                rows = list(synthetic_rows(c * rounds, start=start))
                start += len(rows)
                for k, v in asyncio.run(_level(url, rows, c, 1)).items():
                    out[f"c{c}_{k}"] = v
            rows = list(synthetic_rows(4 * BATCH * rounds, start=start))
            for k, v in asyncio.run(_level(url, rows, 4, BATCH)).items():
                out[f"batch{BATCH}_c4_{k}"] = v
        finally:
            proc.terminate()
            proc.wait(30)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
