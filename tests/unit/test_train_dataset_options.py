"""quantize/evaluate pick the dataset a zoo model was trained on (sound events for mn04,
keywords for micro_speech) unless told otherwise. The zoo looks the recipe up and the CLI
passes it in: fwgen.train never imports fwgen.zoo."""
import subprocess
import sys
from dataclasses import replace

from fwgen import zoo
from fwgen.zoo import dataset_options_for


def test_zoo_recipe_dataset_is_used_by_name():
    meta = zoo.get_model("mn04_tagger").metadata
    assert dataset_options_for(meta)["kind"] == "esc50"
    assert dataset_options_for(zoo.get_model("micro_speech").metadata).get(
        "kind", "speech_commands") == "speech_commands"


def test_explicit_options_win_and_unknown_names_give_none():
    meta = zoo.get_model("mn04_tagger").metadata
    assert dataset_options_for(meta, {"kind": "speech_commands"}) == {"kind": "speech_commands"}
    assert dataset_options_for(replace(meta, name="not_in_the_zoo")) == {}


def test_train_does_not_import_the_zoo():
    code = ("import sys, fwgen.train.training, fwgen.train.evaluate, fwgen.train.efficientat; "
            "assert 'fwgen.zoo' not in sys.modules, 'fwgen.train imported fwgen.zoo'")
    subprocess.run([sys.executable, "-c", code], check=True)
