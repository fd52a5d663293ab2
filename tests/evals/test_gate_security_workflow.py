"""Issue 13 item 12: the example workflow must not let a pull request move its own bar. The
baseline record, the gate rules and the gate's own code come from the base branch; the PR's
checkout only produces the candidate."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml


@pytest.fixture(scope="module")
def workflow(repo_root):
    doc = yaml.safe_load((repo_root / ".github" / "workflows" / "liner-eval-gate.yml").read_text())
    return doc


def _steps(wf):
    return wf["jobs"]["gate"]["steps"]


def _gate_cmd(wf):
    runs = [s.get("run", "") for s in _steps(wf)]
    cmds = [r for r in runs if re.search(r"liner gate", r)]
    assert len(cmds) == 1, cmds
    text = cmds[0].replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if "liner gate" in ln)
    return shlex.split(line.replace('"', ""))


def _base_path(wf) -> str:
    base = [s for s in _steps(wf) if s.get("uses", "").startswith("actions/checkout")
            and (s.get("with") or {}).get("ref")]
    assert len(base) == 1, "one checkout of the base branch"
    w = base[0]["with"]
    assert "pull_request.base.sha" in w["ref"] or "base_ref" in w["ref"]
    return w["path"].rstrip("/")


def test_baseline_and_rules_are_read_from_the_base_checkout(workflow):
    base = _base_path(workflow)
    argv = _gate_cmd(workflow)
    env = workflow["env"]
    i = argv.index("gate")
    baseline = argv[i + 1].replace("$BASELINE", env["BASELINE"])
    assert baseline.startswith(f"{base}/"), argv
    assert "--config" in argv, "without --config the PR's own shipped gates.yaml would be used"
    config = argv[argv.index("--config") + 1].replace("$GATES", env["GATES"])
    assert config.startswith(f"{base}/"), argv


def test_the_gate_code_itself_is_the_base_branchs(workflow):
    """Another input of the kind: a PR that edits evals/gate.py to always pass must not run it."""
    base = _base_path(workflow)
    argv = _gate_cmd(workflow)
    assert argv[0].startswith(f"{base}/"), argv
    installs = [s for s in _steps(workflow) if "install.sh" in s.get("run", "")]
    assert any(s.get("working-directory") == base for s in installs)


def test_runs_on_pull_request_without_write_secrets(workflow):
    on = workflow.get("on") or workflow.get(True)  # yaml 1.1 reads the key `on` as True
    assert "pull_request" in on and "pull_request_target" not in on
    for s in _steps(workflow):
        if s.get("uses", "").startswith("actions/checkout"):
            assert (s.get("with") or {}).get("persist-credentials") is False
