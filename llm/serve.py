"""Child-process entry point: serve one GGUF with xllamacpp until the parent goes away."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM us when the parent dies, so a SIGKILLed runner leaves no orphan."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--ctx", type=int, default=2048)
    args = ap.parse_args(argv)
    parent = os.getppid()
    _die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = args.model
    p.n_ctx = args.ctx
    p.n_parallel = args.parallel
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    p.hostnames = ["127.0.0.1"]
    p.port = args.port
    p.warmup = False
    server = xlc.Server(p)  # noqa: F841 (keeps the HTTP thread alive)
    while os.getppid() == parent:
        time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
