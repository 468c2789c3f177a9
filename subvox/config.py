"""Load and validate the workflow configuration against its JSON schema.

Validation fills in the schema's defaults, so the rest of subvox reads a complete
config, and turns jsonschema's errors into one line naming the offending key.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from subvox.errors import SubvoxError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "config" / "schema" / "config.schema.yaml"


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read the config schema (YAML), safely."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file with ``yaml.safe_load``; an empty file is an empty config."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise SubvoxError(f"config {path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise SubvoxError(f"config {path}: not valid YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SubvoxError(f"config {path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _with_defaults(validator_class: type) -> type:
    """A validator that fills each missing property with its schema ``default``."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: dict, instance: Any, schema: dict) -> Iterator:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line for one schema error: the key, what is wrong, and a suggestion for typos."""
    where = _key_path(error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        parts = []
        for key in unknown:
            full = key if where == "(top level)" else f"{where}.{key}"
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
            parts.append(f"unknown key '{full}'{hint}")
        return "; ".join(parts)
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


_SCALARS = {"boolean": bool, "integer": int, "number": (int, float), "null": type(None)}


def _coerce_strings(validator: Any, config: dict[str, Any]) -> None:
    """Read strings where the schema wants a boolean, number or null as YAML scalars.

    Snakemake parses nested ``--config`` values (``revoice='{enabled: true}'``) with
    YAML's BaseLoader, which keeps every scalar a string.
    """
    for _ in range(100):  # each pass fixes every string the previous one exposed
        fixed = False
        for error in validator.iter_errors(config):
            wanted = error.validator_value if error.validator == "type" else None
            if not isinstance(error.instance, str) or not wanted:
                continue
            wanted = [wanted] if isinstance(wanted, str) else wanted
            try:
                value = yaml.safe_load(error.instance)
            except yaml.YAMLError:
                continue
            if any(t in _SCALARS and isinstance(value, _SCALARS[t]) for t in wanted) and error.absolute_path:
                parent = config
                *head, last = error.absolute_path
                for key in head:
                    parent = parent[key]
                parent[last] = value
                fixed = True
        if not fixed:
            return


def validate_config(config: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``config`` in place (filling defaults) and return it.

    Raises SubvoxError listing every problem, each naming its key.
    """
    schema = schema if schema is not None else load_schema()
    validator = _Validator(schema)
    _coerce_strings(validator, config)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise SubvoxError("invalid config: " + "; ".join(dict.fromkeys(_describe(e) for e in errors)))
    return config


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load a YAML config, apply top-level/nested overrides, validate and fill defaults."""
    config = load_yaml(path)
    if overrides:
        merge(config, overrides)
    return validate_config(config)


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge ``update`` into ``base`` (as Snakemake merges ``--config``)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base
