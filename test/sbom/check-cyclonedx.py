"""Validates CycloneDX 1.5 JSON BOMs with the CycloneDX project's Python library.

Used by test/sbom: for each file, first the strict JSON schema bundled with the
library (no unknown properties), then the library's own deserializer and model
checks (dependency graph refers to known components). Prints one JSON line
per file: {"file": ..., "valid": ..., "output": ...}. All files go through one
process because importing the validator takes seconds.
"""
import json
import sys

from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_5)


def problems(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if json.loads(text).get("specVersion") != "1.5":
        return ["specVersion is not 1.5"]
    errors = list(VALIDATOR.validate_str(text, all_errors=True) or [])
    if errors:
        return [f"schema: {e.data.json_path}: {e.data.message}" for e in errors]
    try:
        Bom.from_json(json.loads(text)).validate()  # type: ignore[attr-defined]
    except Exception as e:  # the library raises its own exception classes
        return [f"model: {type(e).__name__}: {e}"]
    return []


for path in sys.argv[1:]:
    found = problems(path)
    print(json.dumps({"file": path, "valid": not found, "output": "\n".join(found) or "valid"}))
