"""A fork server for the real ``liner`` CLI: imports linernotes once, then forks one child per
command. Each child runs ``linernotes.cli.app.main()`` with its own argv, environment and
stdout/stderr files, exactly as the ``liner`` entry point would (an uncaught exception prints a
traceback and exits 1, as the interpreter does).

Why: on a shared 2-core machine importing langgraph+litellm costs 10-50 s, so 20 kill-and-resume
runs and a 20-file hostile corpus through fresh interpreters would take many minutes. Forking a
warm interpreter keeps every run a real, separate OS process (SIGKILL is a real SIGKILL, files
and the SQLite cache are really written by it) at a few milliseconds of start-up.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout::

    {"argv": [...], "env": {...}, "stdout": PATH, "stderr": PATH,
     "kill_at_line": K | null, "watch": PATH | null, "kill_jitter_s": 0.005, "timeout_s": 120,
     "fsize": BYTES | null, "signal": SIGNUM | null}
    -> {"rc": int | null, "killed": bool, "lines_at_kill": int | null}

With ``kill_at_line`` the child is SIGKILLed as soon as ``watch`` holds K newline characters
(plus a random jitter, so some kills land mid-write). ``rc`` is the exit code, None when killed.
With ``signal`` (e.g. SIGTERM) that signal is sent instead and the child is given ``stop_s``
(default 30) to stop by itself: ``rc`` is then its exit code (SIGKILLed after that: None).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
import traceback


def preload() -> None:
    """Import and warm everything a run touches, without opening files, sockets or threads."""
    import instructor  # noqa: F401
    import litellm  # noqa: F401

    import linernotes.cli.app  # noqa: F401
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.tools.policy.lookup import lookup
    from linernotes.tools.retrieval.shortlist import shortlist

    rt = build_runtime(TagConfig(llm=LLMConfig(model="openai/warmup", use_cache=False)))
    build_graph(rt)
    for tax in {id(t): t for t in [*rt.genre_taxonomies.values(), rt.moods]}.values():
        shortlist("warm up: deep house with a bright piano", tax, 5)  # builds the lazy indexes once
    lookup({"title": "warm up"}, rt.policy)
    # the prose tools import NLTK, TextBlob, AFINN and the language model on first use (~5 s of
    # CPU); warmed here, every forked run inherits them instead of importing them again
    from linernotes.agents.evidence import text_tools
    from linernotes.schema import Item

    text_tools(Item(id="warm-up", title="warm up", description="a calm warm up song, slow and reflective"), rt.policy)


def child(cmd: dict) -> None:
    out = os.open(cmd["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(cmd["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    os.environ.update(cmd.get("env") or {})
    if cmd.get("fsize"):  # a disk-full stand-in where tmpfs cannot be mounted: writes past it fail (EFBIG)
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (cmd["fsize"], cmd["fsize"]))
    if cmd.get("cwd"):
        os.chdir(cmd["cwd"])
    sys.argv = ["liner", *cmd["argv"]]
    code = 0
    try:
        from linernotes.cli.app import main

        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 (what the interpreter would do with an uncaught exception)
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def count_lines(path: str) -> int:
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n")
    except OSError:
        return 0


def run(cmd: dict) -> dict:
    pid = os.fork()
    if pid == 0:
        try:
            child(cmd)
        finally:
            os._exit(70)
    deadline = time.monotonic() + float(cmd.get("timeout_s", 120))
    kill_at = cmd.get("kill_at_line")
    watch = cmd.get("watch")
    lines_at_kill = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"rc": os.waitstatus_to_exitcode(status), "killed": False, "lines_at_kill": None}
        if kill_at is not None and watch and count_lines(watch) >= kill_at:
            time.sleep(random.uniform(0, float(cmd.get("kill_jitter_s", 0.005))))
            lines_at_kill = count_lines(watch)
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.002)
    sig = cmd.get("signal") or signal.SIGKILL
    if lines_at_kill is not None and sig != signal.SIGKILL:
        os.kill(pid, sig)
        stop_by = time.monotonic() + float(cmd.get("stop_s", 30))
        while time.monotonic() < stop_by:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return {"rc": os.waitstatus_to_exitcode(status), "killed": True, "lines_at_kill": lines_at_kill}
            time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    killed = kill_at is not None and lines_at_kill is not None
    return {"rc": None if killed else -9, "killed": killed, "lines_at_kill": lines_at_kill,
            "timed_out": not killed}


def main() -> None:
    preload()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        random.seed(cmd.get("seed"))
        print(json.dumps(run(cmd)), flush=True)


if __name__ == "__main__":
    main()
