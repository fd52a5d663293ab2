"""A fusion artifact that cannot be read is refused with one line naming the file, where and why."""

from __future__ import annotations

import pytest

from linernotes.fusion.artifact import FusionError, load_fusion


@pytest.mark.parametrize(("raw", "reason"), [
    # a cut file: pydantic said "not a valid fusion artifact: : Invalid JSON"
    (b'{"format": 2, "fields": {"genres": {"kind": "mul', "line 1 column 45: Unterminated string"),
    (b'{"format": 2,\n "fields": {"genres": {"kind": "multilabel",}}}', "line 2 column 45: Expecting property name"),
    (b"", "line 1 column 1: Expecting value"),
    (b"\xff\xfe{}", "byte 0: not UTF-8 text"),
    (b"[1, 2]", "not a valid fusion artifact: Input should be an object"),
    (b'{"format": "two"}', "not a valid fusion artifact: format: Input should be a valid integer"),
    (b'{"format": NaN}', "not a valid fusion artifact: format: Input should be a finite number"),
])
def test_a_bad_artifact_names_file_position_and_reason(tmp_path, raw, reason):
    (tmp_path / "fusion.json").write_bytes(raw)
    with pytest.raises(FusionError) as err:
        load_fusion(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / 'fusion.json'}: not a valid fusion artifact: "), msg
    assert reason in msg
    assert ": :" not in msg and "\n" not in msg
