"""The YAML loader's resolver (``engine/_yamlsafe._Resolver``) reads every document as ruamel's own does.

It only works the YAML version out once per document when the C parser reads it (ruamel's asks at every
node, raising and catching two exceptions each time); these documents must come back the same, value for
value and type for type, from the stock resolver and from ours, with the C parser and the pure one.
"""

from __future__ import annotations

import datetime

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.resolver import VersionedResolver

from promoready.engine import _yamlsafe

DOCUMENTS = [
    "a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: ~\nh: null\ni:\n",
    "octal: 0o17\nold_octal: 017\nhex: 0x1F\nunderscored: 1_000\nsexagesimal: 1:30\nneg: -12\nbig: 123456789012345678901234567890\n",
    "f1: 1.5\nf2: .inf\nf3: -.Inf\nf4: .nan\nf5: 1e3\nf6: 6.02e+23\nf7: .5\n",
    "date: 2026-11-30\nstamp: 2026-11-30T10:00:00Z\nspaced: 2026-11-30 10:00:00\nnot_a_date: 2026-02-30\n",
    "%YAML 1.1\n---\na: yes\nb: 0o17\nc: 017\nd: 1:30\n",
    "%YAML 1.2\n---\na: yes\nb: 0o17\n",
    "list: [1, 2.0, 'three', \"four\", null, true]\nnested: {x: {y: [a, b]}}\nempty_list: []\nempty_map: {}\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\nquoted: '007'\n",
    "- 1\n- '1'\n- 1.0\n- '1.0'\n- -0\n- +1\n",
]


def _load(text: str, resolver: type, pure: bool):
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _yamlsafe._Constructor
    yaml.Resolver = resolver
    return yaml.load(text)


def _typed(value):
    """The value with every leaf's type beside it (1 == 1.0 == True in Python; the types must agree too)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("nan", float)
    return (value, type(value))


def test_the_loader_uses_our_resolver_with_this_ruamel():
    assert _yamlsafe.RESOLVER is _yamlsafe._Resolver
    assert _yamlsafe._safe_yaml().Resolver is _yamlsafe._Resolver


@pytest.mark.parametrize("pure", [False, True], ids=["C parser", "pure parser"])
@pytest.mark.parametrize("text", DOCUMENTS)
def test_our_resolver_reads_as_ruamels_does(text, pure):
    ours = _load(text, _yamlsafe._Resolver, pure)
    assert _typed(ours) == _typed(_load(text, VersionedResolver, pure))
    assert _typed(_load(text, _yamlsafe._Resolver, pure)) == _typed(ours)  # a second document, a new loader


def test_a_date_and_a_boolean_come_out_as_yaml_1_2_says_with_the_c_parser():
    data = _load(DOCUMENTS[0] + "date: 2026-11-30\n", _yamlsafe._Resolver, False)
    assert data["a"] == "yes" and data["e"] is True and data["g"] is None  # 1.2: yes is text
    assert data["date"] == datetime.date(2026, 11, 30)


@pytest.mark.parametrize("pure", [False, True], ids=["C parser", "pure parser"])
def test_the_duplicate_key_search_reads_keys_as_the_loader_reads_them(monkeypatch, pure):
    """``%YAML 1.1``: the C parser (libyaml, the one installed) does not read the directive, so the
    loader reads every document as YAML 1.2; the pure-Python parser (a machine without ruamel.yaml.clib)
    reads it, and ``yes`` is then true. The duplicate search reads keys as the loader does, either way."""
    import ruamel.yaml.main

    from promoready.engine import InputError, parse_yaml
    from promoready.engine._locate import _duplicate_key

    if pure:
        monkeypatch.setattr(ruamel.yaml.main, "CParser", None)
    assert (_yamlsafe._safe_yaml().Parser.__name__ == "CParser") is not pure
    one_one = "%YAML 1.1\n---\nyes: 1\ntrue: 2\n"  # one key in YAML 1.1 (both true), two in 1.2 ('yes', true)
    one_two = "%YAML 1.1\n---\non: 1\n'on': 2\n"  # one key in YAML 1.2 (both 'on'), two in 1.1 (true, 'on')
    for text, duplicate, said in ((one_one, pure, "duplicate key 'true' (the same key as 'yes' once read)"),
                                  (one_two, not pure, "duplicate key 'on'")):
        assert (_duplicate_key(text) is not None) is duplicate, text
        if not duplicate:
            assert len(parse_yaml(text, "d.yaml")) == 2
            continue
        with pytest.raises(InputError) as caught:
            parse_yaml(text, "d.yaml")
        assert (caught.value.code, caught.value.line, caught.value.message) == ("input.duplicate-key", 4, said)
