"""Every YAML file beside ladder.yaml is read as a transition, named `<from>-to-<to>.yaml`: a file that is not
a transition at all is refused once, saying so (ladder.not-a-transition), rather than with each key it
lacks; a transition file named otherwise than its levels is refused with the name to give it
(ladder.file-name), so that `pm-to-senior-pm-2.yaml` cannot silently define pm → head-of-product."""

from __future__ import annotations

import os

import pytest
from fixture_files import bundled_copy

from promoready.engine import LadderInvalid, load_ladder


def problems(folder: str) -> list:
    with pytest.raises(LadderInvalid) as err:
        load_ladder(folder)
    return list(err.value.problems)


@pytest.mark.parametrize("name, text", [
    ("notes.yaml", "notes: remember to update the bars\nowner: jo\n"),
    ("alice.yml", "candidate: {id: c-1}\ncurrent_level: pm\nas_of: 2026-01-01\n"),  # a packet, not an example file
])
def test_a_yaml_file_that_is_not_a_transition_is_refused_as_such(tmp_path, name, text):
    folder = bundled_copy(tmp_path)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)
    (p,) = problems(folder)
    assert (p.code, p.file, p.line) == ("ladder.not-a-transition", os.path.join(folder, name), 1), str(p)
    assert f"'{name}' is not a transition file" in p.message and "examples/" in p.message, p.message


def test_a_transition_with_mistakes_keeps_its_own_problems(tmp_path):
    folder = bundled_copy(tmp_path)
    with open(os.path.join(folder, "pm-to-head-of-product.yaml"), "w", encoding="utf-8") as f:
        f.write("transition: {from: pm, to: head-of-product}\n")
    found = problems(folder)
    assert {p.code for p in found} == {"ladder.shape"}, [str(p) for p in found]
    assert any("missing required key 'criteria'" in p.message for p in found)


def test_a_transition_file_named_otherwise_than_its_levels_is_refused_with_the_name_to_give_it(tmp_path):
    folder = bundled_copy(tmp_path)
    with open(os.path.join(folder, "pm-to-senior-pm.yaml"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(folder, "pm-to-senior-pm-2.yaml"), "w", encoding="utf-8") as f:
        f.write(text.replace("  to: senior-pm\n", "  to: head-of-product\n", 1))
    (p,) = problems(folder)
    assert (p.code, p.path, p.line) == ("ladder.file-name", "transition", 1), str(p)
    assert "this file defines pm → head-of-product: name it 'pm-to-head-of-product.yaml'" in p.message, p.message


def test_a_transition_file_named_after_its_levels_loads_as_yaml_or_yml(tmp_path):
    folder = bundled_copy(tmp_path)
    os.rename(os.path.join(folder, "pm-to-senior-pm.yaml"), os.path.join(folder, "pm-to-senior-pm.yml"))
    with open(os.path.join(folder, "notes.txt"), "w", encoding="utf-8") as f:
        f.write("not YAML: not read")
    ladder = load_ladder(folder)
    assert {t.file for t in ladder.transitions} == {"pm-to-senior-pm.yml", "senior-pm-to-head-of-product.yaml"}


def test_a_transition_whose_top_keys_are_misspelt_is_told_its_shape_not_to_leave(tmp_path):
    # A file was taken for "not a transition" whenever it had neither `transition:` nor `criteria:`, and its
    # shape errors (with their "did you mean") were dropped: a transition with both keys misspelt was told to
    # move out of the ladder folder.
    folder = bundled_copy(tmp_path)
    path = os.path.join(folder, "pm-to-senior-pm.yaml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("transition:", "transitions:", 1).replace("criteria:", "criterion:", 1))
    found = problems(folder)
    assert "ladder.not-a-transition" not in {p.code for p in found}, [str(p) for p in found]
    assert any(p.file == path and "transition" in (p.suggestion or "") for p in found), [str(p) for p in found]
