"""A rerun into an existing output must not resume under changed content behind an unchanged path:
a fusion refitted into the same folder (``liner fit -o FUS`` again) or a taxonomy YAML edited in
place. The resume identity compared the settings (the paths), so every item was "already done"
and the output kept the old artifact's decisions under the new one's name (QA, session 14; the
eval side was fixed in 606b924). Now the content digests are part of the identity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from linernotes.fusion.artifact import default_fusion_dir, load_fusion, save_fusion
from linernotes.run.prepare import CONTENT, check_resume
from tests.conftest import run_liner_in_process

ROWS = [{"id": f"t{i}", "type": "track", "title": f"Night Drive {i}", "description": "warm synthwave with analog pads"}
        for i in range(3)]


def _catalog(tmp: Path) -> Path:
    p = tmp / "c.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return p


def test_a_fusion_refitted_into_the_same_folder_is_not_resumed(tmp_path: Path) -> None:
    fus = tmp_path / "fus"
    shutil.copytree(default_fusion_dir(), fus)
    old = load_fusion(fus).content_hash
    args = ["tag", _catalog(tmp_path), "-o", tmp_path / "out.jsonl", "--llm", "never", "--fusion", fus, "--no-progress"]
    assert run_liner_in_process(args).returncode == 0
    assert run_liner_in_process(args).returncode == 0  # the same artifact: resumes (nothing to do)
    art = load_fusion(fus)
    art.fields["valence"].threshold = 0.99  # a refit: the same folder, another artifact
    new = save_fusion(art, fus)
    r = run_liner_in_process(args)
    assert r.returncode == 2, r.stdout
    assert f"content.fusion: \"{old}\" (then) -> \"{new}\" (now)" in r.stderr, r.stderr
    manifest = json.loads((tmp_path / "out.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["resume_identity"]["content.fusion"] == old  # the refused rerun wrote nothing


def test_a_taxonomy_edited_in_place_is_not_resumed(tmp_path: Path) -> None:
    from importlib import resources

    tax = tmp_path / "genres.yaml"
    tax.write_text(resources.files("linernotes.packs").joinpath("music-genres.yaml").read_text(encoding="utf-8"),
                   encoding="utf-8")
    args = ["tag", _catalog(tmp_path), "-o", tmp_path / "out.jsonl", "--llm", "never", "--taxonomy", tax,
            "--no-progress"]
    assert run_liner_in_process(args).returncode == 0
    tax.write_text(tax.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    r = run_liner_in_process(args)
    assert r.returncode == 2 and "content.taxonomy.genres" in r.stderr, r.stderr


@pytest.mark.parametrize("old_has_contents", [False, True])
def test_identities_without_content_digests_compare_the_settings_alone(tmp_path: Path, old_has_contents) -> None:
    """A manifest written before content digests existed (or eval's early check, made before the
    runtime is built) compares settings only; two identities that both carry them compare them."""
    out = tmp_path / "o.jsonl"
    base = {"llm.model": "m", "fusion": "fus"}
    old = {**base, **({CONTENT + "fusion": "aaa"} if old_has_contents else {})}
    (tmp_path / "o.jsonl.manifest.json").write_text(json.dumps({"resume_identity": old}), encoding="utf-8")
    check_resume(out, base, has_records=True)  # nothing to compare the digests with
    if old_has_contents:
        with pytest.raises(Exception, match="content.fusion"):
            check_resume(out, {**base, CONTENT + "fusion": "bbb"}, has_records=True)
    else:
        check_resume(out, {**base, CONTENT + "fusion": "bbb"}, has_records=True)
