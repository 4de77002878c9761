#!/usr/bin/env python3
"""Compare the failing resources of Checkov and Assure for the three equivalent Terraform checks.

usage: compare-checkov.py CHECKOV.json ASSURE-FAILING.tsv
CHECKOV.json is `checkov -f plan.json -o json` output; ASSURE-FAILING.tsv is `CHECK<TAB>RESOURCE` lines
from `assure-checks-bench --list-failing`. Exits 1 when the sets differ.
"""
import json
import sys

PAIRS = {"CKV_AWS_19": "cry.tf-s3-encryption", "CKV_AWS_24": "net.tf-sg-no-ssh-from-world", "CKV_AWS_7": "cry.tf-kms-rotation"}
with open(sys.argv[1]) as f:
    doc = json.load(f)
reports = doc if isinstance(doc, list) else [doc]
checkov = {k: set() for k in PAIRS}
passed = {k: 0 for k in PAIRS}
for rep in reports:
    res = rep.get("results", {})
    for c in res.get("failed_checks", []):
        if c["check_id"] in checkov:
            checkov[c["check_id"]].add(c.get("resource_address") or c["resource"])
    for c in res.get("passed_checks", []):
        if c["check_id"] in passed:
            passed[c["check_id"]] += 1
assure = {v: set() for v in PAIRS.values()}
with open(sys.argv[2]) as f:
    for line in f:
        if "\t" in line:
            check, res = line.rstrip("\n").split("\t", 1)
            if check in assure:
                assure[check].add(res)
same = True
for ck, ours in PAIRS.items():
    a, b = checkov[ck], assure[ours]
    only_ck, only_us = sorted(a - b), sorted(b - a)
    print(f"  {ck} vs {ours}: checkov {len(a)} failed ({passed[ck]} passed), assure {len(b)} failed; "
          f"only checkov {len(only_ck)}, only assure {len(only_us)}")
    for r in only_ck[:5]:
        print(f"    only checkov: {r}")
    for r in only_us[:5]:
        print(f"    only assure: {r}")
    same = same and not only_ck and not only_us
print("  failing resources identical" if same else "  failing resources DIFFER")
sys.exit(0 if same else 1)
