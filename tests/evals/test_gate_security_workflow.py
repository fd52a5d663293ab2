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


def test_no_step_of_the_gate_job_runs_the_pull_requests_code(workflow):
    """The PR's code (its install.sh, its `liner eval`) ran in the gate's own job, before the gate:
    it could rewrite ./base (the gate's code, rules, baseline: the base install ran after it) or put
    PYTHONPATH into $GITHUB_ENV for the gate step. Only a run record may cross over."""
    base = _base_path(workflow)
    gate = workflow["jobs"]["gate"]
    for s in gate["steps"]:
        if s.get("uses", "").startswith("actions/checkout"):
            assert (s.get("with") or {}).get("path", "").rstrip("/") == base, f"a checkout of the PR: {s}"
        run = s.get("run", "")
        if "install.sh" in run:
            assert s.get("working-directory") == base, f"installs the PR's code: {s}"
        assert "liner eval" not in run and not re.search(r"(^|\s)\.venv/", run), f"runs the PR's code: {s}"
    assert gate.get("needs") == "candidate" or "candidate" in (gate.get("needs") or [])
    fetched = [s for s in gate["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert len(fetched) == 1
    argv = _gate_cmd(workflow)
    assert argv[argv.index("gate") + 2].startswith(fetched[0]["with"]["path"].rstrip("/") + "/"), argv


def test_the_pull_requests_job_can_only_read(workflow):
    """The job that runs the PR's code holds no write permission (the comment is the gate job's)."""
    assert "write" not in str(workflow.get("permissions") or {})
    candidate = workflow["jobs"]["candidate"]
    assert "write" not in str(candidate.get("permissions")), candidate.get("permissions")
    assert candidate.get("permissions"), "without its own permissions it inherits the workflow's"
    assert any("liner eval" in s.get("run", "") for s in candidate["steps"])
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in candidate["steps"])
