#!/usr/bin/env python3
"""Loads Assure's OSCAL exports with compliance-trestle's models; exits non-zero naming the first file
trestle refuses. Used by crates/assure-reports/tests/exports.rs (ASSURE_PYTHON names the interpreter)."""
import json
import sys

from trestle.oscal.component import ComponentDefinition
from trestle.oscal.ssp import SystemSecurityPlan

MODELS = {
    "component-definition": ComponentDefinition,
    "system-security-plan": SystemSecurityPlan,
}


def main(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        (root, body), = doc.items()
        model = MODELS.get(root)
        if model is None:
            print(f"{path}: unexpected root {root}", file=sys.stderr)
            return 1
        try:
            model.parse_obj(body)
        except Exception as e:  # trestle raises pydantic's errors; report any
            print(f"{path}: trestle refused it: {e}", file=sys.stderr)
            return 1
        print(f"{path}: loaded as {model.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
