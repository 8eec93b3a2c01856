"""The safe YAML loader every document goes through: no tag builds an object, and a scalar the
constructor cannot read is tied to its node (so the error can name its line)."""

from __future__ import annotations

from typing import Any, Optional

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.parser import Parser as _PureParser
from ruamel.yaml.resolver import VersionedResolver

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


class _Resolver(VersionedResolver):
    """ruamel's resolver, working out the YAML version once per document read by the C parser.

    The stock resolver asks for the version at every node, looking for a scanner to read a ``%YAML``
    directive from; with the C parser there is none, and two AttributeErrors are raised and caught each
    time: a tenth to a fifth of the time a large file takes. Without a scanner the answer cannot change
    during a load (the loader's version, else the default), so it is worked out once, with the resolvers
    for it; a loader with a scanner (the pure-Python parser) is asked every time, as before.
    """

    def _once(self, name: str, stock: Any) -> Any:
        """The stock property ``stock``'s value: kept as ``name`` after the first time when there is no scanner."""
        if "_scanner" in vars(self.loadumper):
            return stock.fget(self)
        value = vars(self).get(name)
        if value is None:
            value = stock.fget(self)
            setattr(self, name, value)
        return value

    @property
    def processing_version(self) -> Any:
        return self._once("_fixed_version", VersionedResolver.processing_version)

    @property
    def versioned_resolver(self) -> Any:
        return self._once("_fixed_resolvers", VersionedResolver.versioned_resolver)


#: The resolver documents are read with: ours where ruamel's has the two properties it refines (a later
#: ruamel that changed them gets its own resolver back, slower but right).
RESOLVER: type = _Resolver if all(isinstance(getattr(VersionedResolver, name, None), property)
                                  for name in ("processing_version", "versioned_resolver")) else VersionedResolver


def _safe_yaml() -> YAML:
    # The C parser (ruamel.yaml.clib, libyaml) when installed: five times faster on ladder files.
    yaml = YAML(typ="safe")
    yaml.Constructor = _Constructor
    yaml.Resolver = RESOLVER
    yaml.allow_duplicate_keys = False
    return yaml


def version_read(declared: Any) -> Any:
    """The YAML version the loader reads a document with whose ``%YAML`` directive says ``declared``
    (None: no directive): that one with the pure-Python parser, which reads the directive; None (ruamel's
    default, 1.2) with the C parser, which does not: there ``%YAML 1.1`` changes nothing, ``yes`` is text.
    Whatever reads a document's scalars again (the duplicate-key search) reads them with this version."""
    return declared if declared is not None and _safe_yaml().Parser is _PureParser else None
