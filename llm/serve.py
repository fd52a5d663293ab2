"""Child-process entry point: serve one GGUF with xllamacpp until the parent goes away."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--ctx", type=int, default=2048)
    args = ap.parse_args(argv)
    # The parent's death is noticed by polling getppid() (below, every 0.5 s), not by
    # prctl(PR_SET_PDEATHSIG): that signal fires when the *thread* that started us exits, and the
    # client starts the server from a worker thread (it blocks), so the server died with the
    # event loop that first needed it (a second asyncio.run in one process, a Beam bundle):
    # "embedded model server died 3 times (last exit code 0)".
    parent = os.getppid()
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
    # the parent is gone: leave now. A normal exit would wait for the engine's own threads, which
    # never end, and the orphan would outlive a SIGKILLed runner.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
