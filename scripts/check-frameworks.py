#!/usr/bin/env python3
"""Check content/frameworks/*.yaml against the content format (content/README.md) and known framework sizes.

Usage: scripts/check-frameworks.py [FRAMEWORKS_DIR]     (exit 0 = all good, 1 = problems listed on stderr)

Checks, per file: only the allowed top-level keys and requirement keys; `id` equals the file name; IDs are
strings (an unquoted 3.10 would become the number 3.1), non-empty and unique; every parent exists and is listed
before its child; `kind` is only `group`; titles are at most 100 characters; no outdated terms (ISO 27001:2013,
SSAE 16, "Trust Principles", Privacy Shield, model contract clauses, US-CERT, CERT-UK, FIPS 140-2); copyrighted
frameworks carry the own-words licence note; framework sizes and ID sets where they are fixed (ISO Annex A 93,
CSF 2.0 106, CCM v4 197 with per-domain counts, CIS v8.1 153 with per-control counts, SOC 2 TSC 61); and the
requirement IDs the content's tests and mappings rely on exist.
"""
import os
import re
import sys

try:
    import yaml
except ImportError:
    sys.exit("PyYAML is needed: pip install pyyaml")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "content", "frameworks")

TOP_KEYS = {"id", "name", "version", "publisher", "licence", "requirements"}
REQ_KEYS = {"id", "title", "parent", "text", "kind"}
MAX_TITLE = 100

EXPECTED_FILES = ["iso27001-2022", "soc2", "nist-csf-2.0", "nist-800-53-r5", "csa-ccm-4", "gdpr",
                  "hipaa-security", "pci-dss-4.0.1", "cis-8.1", "dora", "mas-trm", "eba-outsourcing"]

COPYRIGHTED = {"iso27001-2022", "soc2", "csa-ccm-4", "pci-dss-4.0.1", "cis-8.1"}

FORBIDDEN = [
    (re.compile(r"27001\s*:\s*2013"), "ISO 27001:2013"),
    (re.compile(r"27002\s*:\s*2013"), "ISO 27002:2013"),
    (re.compile(r"SSAE[\s-]*16", re.I), "SSAE 16"),
    (re.compile(r"trust\s+(services\s+)?principles", re.I), "Trust Principles"),
    (re.compile(r"privacy\s+shield", re.I), "Privacy Shield"),
    (re.compile(r"model\s+contract(ual)?\s+clauses", re.I), "model contract clauses"),
    (re.compile(r"US-?CERT", re.I), "US-CERT"),
    (re.compile(r"CERT-?UK", re.I), "CERT-UK"),
    (re.compile(r"FIPS\s*(PUB\s*)?140-2", re.I), "FIPS 140-2"),
]


def seq(prefix, n, start=1, fmt="{}{}"):
    return [fmt.format(prefix, i) for i in range(start, start + n)]


ISO_IDS = seq("A.5.", 37) + seq("A.6.", 8) + seq("A.7.", 14) + seq("A.8.", 34)
CCM_COUNTS = {"A&A": 6, "AIS": 7, "BCR": 11, "CCC": 9, "CEK": 21, "DCS": 15, "DSP": 19, "GRC": 8, "HRS": 13,
              "IAM": 16, "IPY": 4, "IVS": 9, "LOG": 13, "SEF": 8, "STA": 14, "TVM": 10, "UEM": 14}
CCM_IDS = [d + "-%02d" % i for d, n in CCM_COUNTS.items() for i in range(1, n + 1)]
CIS_COUNTS = {1: 5, 2: 7, 3: 14, 4: 12, 5: 6, 6: 8, 7: 7, 8: 12, 9: 7, 10: 7, 11: 5, 12: 8, 13: 11, 14: 9,
              15: 7, 16: 14, 17: 9, 18: 5}
CIS_IDS = ["%d.%d" % (c, i) for c, n in CIS_COUNTS.items() for i in range(1, n + 1)]
SOC2_COUNTS = {"CC1": 5, "CC2": 3, "CC3": 4, "CC4": 2, "CC5": 3, "CC6": 8, "CC7": 5, "CC8": 1, "CC9": 2,
               "A1": 3, "C1": 2, "PI1": 5, "P1": 1, "P2": 1, "P3": 2, "P4": 3, "P5": 2, "P6": 7, "P7": 1, "P8": 1}
SOC2_IDS = ["%s.%d" % (g, i) for g, n in SOC2_COUNTS.items() for i in range(1, n + 1)]

# Exact sets of non-group requirement IDs.
EXACT = {"iso27001-2022": ISO_IDS, "csa-ccm-4": CCM_IDS, "cis-8.1": CIS_IDS, "soc2": SOC2_IDS}
# Exact number of non-group requirements (where there is no list above) and minimums.
EXACT_COUNT = {"nist-csf-2.0": 106}
MIN_COUNT = {"pci-dss-4.0.1": 60, "nist-800-53-r5": 1000}

# IDs that the baseline mappings and the tests rely on.
MUST_HAVE = {
    "iso27001-2022": ["A.5", "A.6", "A.7", "A.8", "A.8.5", "A.8.24", "A.8.15", "A.5.24", "A.5.25", "A.5.26"],
    "soc2": ["CC1", "CC9", "CC6.1", "CC7.4"],
    "nist-csf-2.0": ["GV", "ID", "PR", "DE", "RS", "RC", "PR.AA", "PR.AA-03", "DE.CM-01"],
    "nist-800-53-r5": ["ac", "ia-2.1", "sc-28", "au-2", "ir-4", "ac-2.1"],
    "csa-ccm-4": ["CCM-IAM", "IAM-14", "CEK-03"],
    "gdpr": ["Art. 5", "Art. 6", "Art. 9", "Art. 28", "Art. 28(3)", "Art. 28(3)(c)", "Art. 28(3)(h)", "Art. 30",
             "Art. 32", "Art. 32(1)", "Art. 32(1)(a)", "Art. 32(1)(d)", "Art. 32(4)", "Art. 33", "Art. 34",
             "Art. 35", "Art. 37", "Art. 39", "Art. 44", "Art. 46", "Art. 49"]
            + ["Art. %d" % a for a in range(12, 24)] + ["Art. %d" % a for a in range(24, 40)]
            + ["Art. %d" % a for a in range(44, 50)],
    "hipaa-security": ["164.308", "164.310", "164.312", "164.314", "164.316", "164.308(a)(1)(i)",
                       "164.308(a)(1)(ii)(A)", "164.312(a)(2)(iv)", "164.312(d)", "164.312(e)(2)(ii)"],
    "pci-dss-4.0.1": [str(i) for i in range(1, 13)]
                     + ["8.4.1", "8.4.2", "3.5.1", "10.2.1", "6.3.3", "11.3.1", "11.4.1", "12.10.1", "12.10"],
    "cis-8.1": [str(i) for i in range(1, 19)],
    "dora": ["Art. 28", "Art. 28(1)", "Art. 28(10)", "Art. 29", "Art. 29(1)", "Art. 29(2)", "Art. 30",
             "Art. 30(1)", "Art. 30(5)", "Art. 5", "Art. 6", "Art. 9", "Art. 11", "Art. 17", "Art. 19"],
    "mas-trm": ["5.1", "5.2", "7.4", "8.4", "9.1", "10.1", "12.1"],
    "eba-outsourcing": ["EBA-GL-2019-02.74", "EBA-GL-2019-02.85", "EBA-GL-2019-02.87", "EBA-GL-2019-02.81", "EBA-GL-2019-02.91",
                        "EBA-GL-2019-02.98", "EBA-GL-2019-02.99"],
}

OWN_WORDS = "not reproduced"


def walk_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_strings(k)
            yield from walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_strings(v)


def check_file(path, errors):
    fid = os.path.splitext(os.path.basename(path))[0]

    def err(msg, rid=None):
        errors.append("%s%s: %s" % (os.path.relpath(path, ROOT), " [%s]" % rid if rid is not None else "", msg))

    raw = open(path, encoding="utf-8").read()
    for rx, name in FORBIDDEN:
        for m in rx.finditer(raw):
            line = raw.count("\n", 0, m.start()) + 1
            err("outdated term %r at line %d: %r" % (name, line, m.group(0)))
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        err("YAML error: %s" % e)
        return None
    if not isinstance(doc, dict):
        err("top level is not a mapping")
        return None
    for k in doc:
        if k not in TOP_KEYS:
            err("unknown top-level key %r" % k)
    for k in TOP_KEYS:
        if k not in doc:
            err("missing top-level key %r" % k)
    for k in ("id", "name", "version", "publisher", "licence"):
        if k in doc and not (isinstance(doc[k], str) and doc[k].strip()):
            err("%s must be a non-empty string (quote it)" % k)
    if doc.get("id") != fid:
        err("id %r does not match the file name" % doc.get("id"))
    if fid in COPYRIGHTED and OWN_WORDS not in str(doc.get("licence", "")):
        err("licence must say the publisher's text is %s" % OWN_WORDS)

    reqs = doc.get("requirements")
    if not isinstance(reqs, list) or not reqs:
        err("requirements must be a non-empty list")
        return None
    seen = {}
    for i, r in enumerate(reqs):
        if not isinstance(r, dict):
            err("requirement #%d is not a mapping" % (i + 1))
            continue
        rid = r.get("id")
        for k in r:
            if k not in REQ_KEYS:
                err("unknown key %r" % k, rid)
        if not isinstance(rid, str) or not rid.strip() or rid != rid.strip():
            err("id must be a non-empty string without surrounding spaces (quote numbers)", rid)
            continue
        if rid in seen:
            err("duplicate id", rid)
        title = r.get("title")
        if not isinstance(title, str) or not title.strip():
            err("title missing or not a string", rid)
        elif len(title) > MAX_TITLE:
            err("title longer than %d characters (%d)" % (MAX_TITLE, len(title)), rid)
        if "text" in r and not (isinstance(r["text"], str) and r["text"].strip()):
            err("text must be a non-empty string", rid)
        if "kind" in r and r["kind"] != "group":
            err("kind must be 'group'", rid)
        if "parent" in r:
            p = r["parent"]
            if not isinstance(p, str):
                err("parent must be a string (quote it)", rid)
            elif p not in seen:
                err("parent %r is not listed before it%s" % (p, " (it is listed after)" if any(
                    isinstance(x, dict) and x.get("id") == p for x in reqs) else ""), rid)
            elif p == rid:
                err("is its own parent", rid)
        seen[rid] = r

    reqs_ok = [r for r in reqs if isinstance(r, dict) and isinstance(r.get("id"), str)]
    leaves = [r["id"] for r in reqs_ok if r.get("kind") != "group"]
    groups = [r["id"] for r in reqs_ok if r.get("kind") == "group"]
    if fid in EXACT:
        want = EXACT[fid]
        missing = [x for x in want if x not in leaves]
        extra = [x for x in leaves if x not in set(want)]
        if missing:
            err("missing requirements: %s" % ", ".join(missing))
        if extra:
            err("unexpected requirements: %s" % ", ".join(extra))
        if len(leaves) != len(want):
            err("expected %d requirements, found %d" % (len(want), len(leaves)))
    if fid in EXACT_COUNT and len(leaves) != EXACT_COUNT[fid]:
        err("expected %d requirements, found %d" % (EXACT_COUNT[fid], len(leaves)))
    if fid in MIN_COUNT and len(leaves) < MIN_COUNT[fid]:
        err("expected at least %d requirements, found %d" % (MIN_COUNT[fid], len(leaves)))
    for x in MUST_HAVE.get(fid, []):
        if x not in seen:
            err("required id missing", x)
    # A group with no children is suspicious.
    parents = {r.get("parent") for r in reqs_ok}
    for g in groups:
        if g not in parents:
            err("group has no children", g)
    return fid, len(leaves), len(groups)


def main():
    errors = []
    results = []
    files = sorted(f for f in os.listdir(DIR) if f.endswith((".yaml", ".yml")))
    for name in EXPECTED_FILES:
        if name + ".yaml" not in files:
            errors.append("content/frameworks/%s.yaml: missing" % name)
    for f in files:
        res = check_file(os.path.join(DIR, f), errors)
        if res:
            results.append(res)
    for fid, n, g in results:
        print("%-16s %5d requirements %4d groups" % (fid, n, g))
    if errors:
        print("\n%d problem(s):" % len(errors), file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("all %d framework files OK" % len(results))


if __name__ == "__main__":
    main()
