"""The safe YAML loader every document goes through: no tag builds an object, and a scalar the
constructor cannot read is tied to its node (so the error can name its line)."""

from __future__ import annotations

from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError

class _Constructor(SafeConstructor):
    """The safe constructor, with every failure of a value tied to the node it came from.

    The stock one lets a few scalars escape as bare Python exceptions (``int()`` of a 5,000-digit
    number, a ``!!bool`` that is not one); here each becomes an error with the node's line.
    """

    def construct_non_recursive_object(self, node: Any, tag: Optional[str] = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (YAMLError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # whatever else a constructor raised, it is this node's fault
            raise _BadNode(node, exc) from None

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        # `2026-02-30` looks like a date but is none: keep the text, as JSON would, so the field's
        # own validation reports it with its path ("not a calendar date") instead of the loader.
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return node.value


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


class _BadNode(Exception):
    """A scalar the constructor could not turn into a value (carried to ``parse_yaml``)."""

    def __init__(self, node: Any, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.node = node
        self.cause = cause


def _safe_yaml() -> YAML:
    # The C parser (ruamel.yaml.clib, libyaml) when installed: five times faster on ladder files.
    yaml = YAML(typ="safe")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml
