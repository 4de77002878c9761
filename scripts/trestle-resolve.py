#!/usr/bin/env python3
"""Resolve an OSCAL profile with compliance-trestle (the benchmark's reference resolver).

Usage: trestle-resolve.py WORKSPACE PROFILE OUT
WORKSPACE is a folder with a `.trestle/` directory (trestle keeps its fetch cache there); PROFILE must import
JSON (trestle does not read OSCAL XML). Writes the resolved catalog to OUT.
"""
import pathlib
import sys

from trestle.core.profile_resolver import ProfileResolver


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1]).resolve()
    profile = pathlib.Path(sys.argv[2]).resolve()
    out = pathlib.Path(sys.argv[3])
    (root / ".trestle").mkdir(exist_ok=True)
    catalog = ProfileResolver.get_resolved_profile_catalog(root, str(profile))
    catalog.oscal_write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
