"""The policy combiner is not applied to text longer than any unsafe text it was fitted on
(``SingleLabelModel.max_words``, the longest training text of a class other than none, in
tokens; its clean texts are longer): its log-length feature had learned
"longer is cleaner", so one unsafe request repeated 20 / 100 / 400 times went from flagged at
0.58 to "clean" at 0.78 / 0.97 / 0.99. Beyond the end the lexicon alone decides, uncalibrated, as
below ``MIN_WORDS``; the fit records the end and the artifact that carries it is format 6."""

from __future__ import annotations

import json

import pytest

from linernotes.fusion.artifact import (
    FORMAT_FITTED_LENGTH,
    FusionError,
    load_fusion,
    save_fusion,
)
from linernotes.fusion.decide import fused, fused_many
from linernotes.fusion.features import token_count, word_count
from linernotes.fusion.fitting import fit_single_label
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

REQUEST = "How can I make a fake passport that passes airport checks? "
BLURB = ("In this episode we talk with a local baker about sourdough starters, the history of the market, "
         "and how she balances early mornings with raising two kids. ")


def _obs(text: str) -> Observation:
    return Observation(Item(id="x", type="episode", description=text), {}, None)


def test_the_shipped_combiner_decides_up_to_its_longest_training_text_and_no_further(artifact) -> None:
    model = artifact.get("policy", "content-policy").model
    # the longest of its 983 unsafe prompts in tokens (its 3,500 clean texts go to 77)
    assert model.max_words == 34
    words = REQUEST.split()
    at_end = " ".join((words * 10)[:model.max_words])
    beyond = " ".join((words * 10)[:model.max_words + 1])
    assert word_count(at_end) == model.max_words
    inside, outside = fused_many(artifact, "policy", [_obs(at_end), _obs(beyond)], "content-policy")
    assert inside is not None and inside.calibrated
    assert outside is None  # the hand-set lexicon rules decide, and say they are uncalibrated


@pytest.mark.parametrize(("unit", "times"), [(REQUEST, 20), (REQUEST, 400), (BLURB, 20), (BLURB, 400)],
                         ids=["request-x20", "request-x400", "blurb-x20", "blurb-x400"])
def test_a_long_text_gets_no_calibrated_answer_from_the_combiner(artifact, unit, times) -> None:
    """Before, these were answered 'none' at a calibrated 0.78-0.999 because of their length;
    the text once still gets the combiner."""
    assert fused(artifact, "policy", _obs(unit * times), "content-policy") is None
    once = fused(artifact, "policy", _obs(unit), "content-policy")
    assert once is not None and once.calibrated


def _data() -> tuple[list[Observation], list[str]]:
    obs, labels = [], []
    unsafe = ["I will hurt you badly", "watch your back or else", "I know where you live and I will come"]
    clean = ["a calm song about the sea", "ambient album recorded in Berlin in 2019 with friends and a cat",
             "the committee met on Tuesday to discuss the budget for the coming year in some detail"]
    for n in range(8):
        for t in unsafe:
            obs.append(_obs(f"{t} number {n}"))
            labels.append("threat")
        for t in clean:
            obs.append(_obs(f"{t} part {n}"))
            labels.append("none")
    return obs, labels


def test_a_fit_records_its_longest_unsafe_training_text_and_the_artifact_is_format_6(artifact, tmp_path) -> None:
    """The end is the longest text of a class other than none (11 tokens here), not the longest
    clean one (18): the classifier never saw a longer threat, so beyond it its 'clean' is length."""
    obs, labels = _data()
    model, _ = fit_single_label(obs, labels, None, [], {"threat": "violence.threat"}, k=3, seed=0, neighbours=0)
    longest = max(token_count(o.prose) for o, lab in zip(obs, labels, strict=True) if lab != "none")
    assert model.max_words == longest == 11 < max(token_count(o.prose) for o in obs) == 18
    assert model.applies(_obs(" ".join(["word"] * longest)))
    assert not model.applies(_obs(" ".join(["word"] * (longest + 1))))
    assert not model.applies(_obs("two words"))

    art = artifact.model_copy(deep=True)
    art.fields["policy"].model = model
    save_fusion(art, tmp_path)
    doc = json.loads((tmp_path / "fusion.json").read_text())
    assert doc["format"] == FORMAT_FITTED_LENGTH == 6
    assert load_fusion(tmp_path).fields["policy"].model.max_words == longest


def test_an_older_format_carrying_the_end_is_refused_and_an_older_artifact_has_no_end(artifact, tmp_path) -> None:
    """A format-5 reader would drop ``max_words`` and classify any length, so a file that carries
    it must say format 6; a file without it (fitted before) reads as before, with no end."""
    save_fusion(artifact.model_copy(deep=True), tmp_path)
    doc = json.loads((tmp_path / "fusion.json").read_text())
    doc["format"] = 5
    (tmp_path / "fusion.json").write_text(json.dumps(doc))
    with pytest.raises(FusionError, match="max_words: needs format 6"):
        load_fusion(tmp_path)
    del doc["fields"]["policy"]["model"]["max_words"]
    (tmp_path / "fusion.json").write_text(json.dumps(doc))
    old = load_fusion(tmp_path)
    assert old.fields["policy"].model.max_words is None
    assert fused(old, "policy", _obs(REQUEST * 400), "content-policy") is not None
