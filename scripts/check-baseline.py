#!/usr/bin/env python3
"""Check the Contour Cloud demo programme under content/ against content/README.md.

Checks the baseline (domains and controls), services, tenants, assessors and programme files:
field names exactly as documented (no unknown or missing keys, no duplicate YAML keys), unique IDs,
service-model defaults with the parts their responsibility requires, at least four distinct required
frameworks mapped per control, the named mapping pairs the tests assert, ISO/IEC 27001:2022 Annex A and
SOC 2 common-criteria coverage, SP 800-53 rev5 ids against the NIST catalog (present, not withdrawn),
CSF 2.0 ids, requirement id forms per framework, service regions and option rules (each rule moves
responsibility in its option's declared direction), tenant profiles, and outdated terms.

If framework files exist (content/frameworks/ in this tree, or the directory given by --frameworks, or
the other engineer's worktree), every mapped requirement must exist in them; frameworks without a file
yet produce one warning each.

Usage: scripts/check-baseline.py [--content DIR] [--frameworks DIR] [--nist-catalog FILE] [-q]
Exit status: 0 when no errors (warnings allowed), 1 otherwise.
"""

import argparse
import datetime
import json
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("PyYAML is required: pip install pyyaml")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

DEFAULT_NIST = os.path.normpath(
    os.path.join(ROOT, "..", "shared", "data", "nist-800-53-rev5-v5.0.1", "NIST_SP-800-53_rev5_catalog.json"))
if not os.path.exists(DEFAULT_NIST):
    DEFAULT_NIST = "/work/shared/data/nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json"
OTHER_FW_DIR = "/work/wt-content-fw/content/frameworks"

REQUIRED_FRAMEWORKS = ["iso27001-2022", "soc2", "nist-csf-2.0", "nist-800-53-r5", "csa-ccm-4", "gdpr",
                       "hipaa-security"]
OPTIONAL_FRAMEWORKS = ["pci-dss-4.0.1", "cis-8.1", "dora", "mas-trm", "eba-outsourcing"]
ALL_FRAMEWORKS = REQUIRED_FRAMEWORKS + OPTIONAL_FRAMEWORKS
RELATIONSHIPS = {"equivalent-to", "equal-to", "subset-of", "superset-of", "intersects-with", "no-relationship"}
RESPONSIBILITIES = {"provider", "customer", "shared", "not-applicable"}
MODELS = ["iaas", "paas", "saas"]
DIRECTIONS = {"towards-provider", "towards-customer"}
# position on the customer -> provider axis; not-applicable has no position
AXIS = {"customer": 0, "shared": 1, "provider": 2}

PROVIDER_ROLES = {"provider-admin", "provider-security-lead", "provider-dpo", "oversight"}
CUSTOMER_ROLES = {"customer-compliance-officer", "customer-viewer", "customer-dpo"}
CONTACT_ROLES = {"account-team", "procurement", "compliance-officer", "security", "dpo"}
PROCESSING_ROLES = {"controller", "processor", "joint-controller"}

# --- reference lists -----------------------------------------------------------------------------------------

ISO_ANNEX_A = ([f"A.5.{i}" for i in range(1, 38)] + [f"A.6.{i}" for i in range(1, 9)]
               + [f"A.7.{i}" for i in range(1, 15)] + [f"A.8.{i}" for i in range(1, 35)])
assert len(ISO_ANNEX_A) == 93

SOC2_CC = ([f"CC1.{i}" for i in range(1, 6)] + [f"CC2.{i}" for i in range(1, 4)] + [f"CC3.{i}" for i in range(1, 5)]
           + [f"CC4.{i}" for i in range(1, 3)] + [f"CC5.{i}" for i in range(1, 4)] + [f"CC6.{i}" for i in range(1, 9)]
           + [f"CC7.{i}" for i in range(1, 6)] + ["CC8.1"] + [f"CC9.{i}" for i in range(1, 3)])
assert len(SOC2_CC) == 33
SOC2_OTHER = (["A1.1", "A1.2", "A1.3", "C1.1", "C1.2", "PI1.1", "PI1.2", "PI1.3", "PI1.4", "PI1.5", "P1.1", "P2.1",
               "P3.1", "P3.2", "P4.1", "P4.2", "P4.3", "P5.1", "P5.2"] + [f"P6.{i}" for i in range(1, 8)]
              + ["P7.1", "P8.1"])

# CSF 2.0 subcategories (106). The shared OSCAL XML also carries CSF 1.1 ids without marking them withdrawn,
# so the 2.0 set is listed here by category and count.
CSF20_COUNTS = {
    "GV.OC": range(1, 6), "GV.RM": range(1, 8), "GV.RR": range(1, 5), "GV.PO": range(1, 3), "GV.OV": range(1, 4),
    "GV.SC": range(1, 11), "ID.AM": [1, 2, 3, 4, 5, 7, 8], "ID.RA": range(1, 11), "ID.IM": range(1, 5),
    "PR.AA": range(1, 7), "PR.AT": range(1, 3), "PR.DS": [1, 2, 10, 11], "PR.PS": range(1, 7), "PR.IR": range(1, 5),
    "DE.CM": [1, 2, 3, 6, 9], "DE.AE": [2, 3, 4, 6, 7, 8], "RS.MA": range(1, 6), "RS.AN": [3, 6, 7, 8],
    "RS.CO": [2, 3], "RS.MI": [1, 2], "RC.RP": range(1, 7), "RC.CO": [3, 4],
}
CSF20 = {f"{cat}-{n:02d}" for cat, nums in CSF20_COUNTS.items() for n in nums}
assert len(CSF20) == 106
CSF_RE = re.compile(r"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$")

CCM_COUNTS = {"A&A": 6, "AIS": 7, "BCR": 11, "CCC": 9, "CEK": 21, "DCS": 15, "DSP": 19, "GRC": 8, "HRS": 13,
              "IAM": 16, "IPY": 4, "IVS": 9, "LOG": 13, "SEF": 8, "STA": 14, "TVM": 10, "UEM": 14}
CCM = {f"{d}-{n:02d}" for d, c in CCM_COUNTS.items() for n in range(1, c + 1)}
assert len(CCM) == 197

HIPAA = {
    "164.308(a)(1)(i)", "164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)", "164.308(a)(1)(ii)(C)",
    "164.308(a)(1)(ii)(D)", "164.308(a)(2)", "164.308(a)(3)(i)", "164.308(a)(3)(ii)(A)", "164.308(a)(3)(ii)(B)",
    "164.308(a)(3)(ii)(C)", "164.308(a)(4)(i)", "164.308(a)(4)(ii)(A)", "164.308(a)(4)(ii)(B)",
    "164.308(a)(4)(ii)(C)", "164.308(a)(5)(i)", "164.308(a)(5)(ii)(A)", "164.308(a)(5)(ii)(B)",
    "164.308(a)(5)(ii)(C)", "164.308(a)(5)(ii)(D)", "164.308(a)(6)(i)", "164.308(a)(6)(ii)", "164.308(a)(7)(i)",
    "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)", "164.308(a)(7)(ii)(D)",
    "164.308(a)(7)(ii)(E)", "164.308(a)(8)", "164.308(b)(1)", "164.308(b)(2)", "164.308(b)(3)",
    "164.310(a)(1)", "164.310(a)(2)(i)", "164.310(a)(2)(ii)", "164.310(a)(2)(iii)", "164.310(a)(2)(iv)",
    "164.310(b)", "164.310(c)", "164.310(d)(1)", "164.310(d)(2)(i)", "164.310(d)(2)(ii)", "164.310(d)(2)(iii)",
    "164.310(d)(2)(iv)",
    "164.312(a)(1)", "164.312(a)(2)(i)", "164.312(a)(2)(ii)", "164.312(a)(2)(iii)", "164.312(a)(2)(iv)",
    "164.312(b)", "164.312(c)(1)", "164.312(c)(2)", "164.312(d)", "164.312(e)(1)", "164.312(e)(2)(i)",
    "164.312(e)(2)(ii)",
    "164.314(a)(1)", "164.314(a)(2)(i)", "164.314(a)(2)(ii)", "164.314(a)(2)(iii)", "164.314(b)(1)",
    "164.314(b)(2)", "164.316(a)", "164.316(b)(1)", "164.316(b)(2)(i)", "164.316(b)(2)(ii)", "164.316(b)(2)(iii)",
}

ID_FORMS = {
    "iso27001-2022": re.compile(r"^A\.[5-8]\.\d{1,2}$"),
    "soc2": re.compile(r"^(CC\d\.\d|A1\.\d|C1\.\d|PI1\.\d|P\d\.\d)$"),
    "nist-csf-2.0": CSF_RE,
    "nist-800-53-r5": re.compile(r"^[a-z]{2}-\d{1,2}(\.\d{1,2})?$"),
    "csa-ccm-4": re.compile(r"^[A-Z&]{3}-\d{2}$"),
    "gdpr": re.compile(r"^Art\. \d{1,2}(\(\d{1,2}\))?(\([a-z]\))?$"),
    "hipaa-security": re.compile(r"^164\.3(08|10|12|14|16)(\([a-z0-9]+\))+(\([A-Z]\))?$"),
    "pci-dss-4.0.1": re.compile(r"^\d{1,2}(\.\d{1,2}){1,3}$"),
    "cis-8.1": re.compile(r"^\d{1,2}\.\d{1,2}$"),
    "dora": re.compile(r"^Art\. \d{1,2}(\(\d{1,2}\))?(\([a-z]\))?$"),
    "mas-trm": re.compile(r"^\d{1,2}(\.\d{1,2}){1,2}$"),
    "eba-outsourcing": re.compile(r"^EBA-GL-\d{4}-\d{2}\.[A-Za-z0-9.-]+$"),
}

NAMED_PAIRS = [
    ("IAM-01", "iso27001-2022", "A.8.5"), ("IAM-01", "soc2", "CC6.1"), ("IAM-01", "nist-csf-2.0", "PR.AA-03"),
    ("IAM-01", "nist-800-53-r5", "ia-2.1"), ("IAM-01", "csa-ccm-4", "IAM-14"),
    ("CRY-01", "iso27001-2022", "A.8.24"), ("CRY-01", "soc2", "CC6.1"), ("CRY-01", "nist-800-53-r5", "sc-28"),
    ("CRY-01", "csa-ccm-4", "CEK-03"),
    ("LOG-01", "iso27001-2022", "A.8.15"), ("LOG-01", "nist-800-53-r5", "au-2"),
    ("LOG-01", "nist-csf-2.0", "DE.CM-01"),
    ("INC-01", "iso27001-2022", "A.5.24"), ("INC-01", "iso27001-2022", "A.5.25"),
    ("INC-01", "iso27001-2022", "A.5.26"), ("INC-01", "nist-800-53-r5", "ir-4"), ("INC-01", "soc2", "CC7.4"),
    ("PRV-01", "gdpr", "Art. 28(3)(c)"), ("PRV-01", "gdpr", "Art. 32(1)"),
]
REQUIRED_CONTROLS = ["IAM-01", "CRY-01", "LOG-01", "INC-01", "PRV-01"]
REQUIRED_DOMAINS = ["IAM", "CRY", "LOG", "NET", "VUL", "INC", "BCK", "AST", "DEV", "SUP", "PHY", "PRV", "GOV"]
MIN_CONTROLS, MIN_DOMAINS, MIN_SERVICES = 84, 13, 13
MIN_ISO, MIN_SOC2 = 0.88, 0.88

FORBIDDEN = [
    (re.compile(r"27001\s*:\s*2013"), "ISO/IEC 27001:2013 (use 27001:2022)"),
    (re.compile(r"SSAE\s*-?\s*16", re.I), "SSAE 16 (superseded by SSAE 18)"),
    (re.compile(r"trust\s+principles?", re.I), "\"Trust Principles\" (say Trust Services Criteria)"),
    (re.compile(r"privacy\s+shield", re.I), "Privacy Shield (invalidated; say SCCs or the Data Privacy Framework)"),
    (re.compile(r"model\s+contract(ual)?\s+clauses?", re.I), "model contract clauses (say SCCs)"),
    (re.compile(r"US-CERT", re.I), "US-CERT (now CISA)"),
    (re.compile(r"CERT-UK", re.I), "CERT-UK (now NCSC)"),
    (re.compile(r"FIPS\s*140-2", re.I), "FIPS 140-2 (FIPS 140-3 is current)"),
    (re.compile(r"\b(Deloitte|PwC|PricewaterhouseCoopers|Ernst\s*&\s*Young|KPMG)\b", re.I),
     "a Big Four firm name (the demo uses fictional firms)"),
]

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONTROL_RE = re.compile(r"^([A-Z]{2,4})-(\d{2})$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}$")

# --- YAML loading with line numbers and duplicate-key detection ---------------------------------------------


class Node(dict):
    """A mapping that remembers the line it started on."""
    line = 0


class LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    m = Node()
    m.line = node.start_mark.line + 1
    for k_node, v_node in node.value:
        k = loader.construct_object(k_node, deep=True)
        if k in m:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {k!r}", k_node.start_mark)
        m[k] = loader.construct_object(v_node, deep=True)
    return m


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Report:
    def __init__(self, quiet=False):
        self.errors, self.warnings, self.quiet = [], [], quiet

    def error(self, where, msg):
        self.errors.append(f"ERROR {where}: {msg}")

    def warn(self, where, msg):
        self.warnings.append(f"WARN  {where}: {msg}")

    def info(self, msg):
        if not self.quiet:
            print(msg)


def where(path, node=None, ident=None):
    rel = os.path.relpath(path, ROOT)
    s = rel + (f":{node.line}" if isinstance(node, Node) and node.line else "")
    return s + (f" [{ident}]" if ident else "")


def load(rep, path):
    if not os.path.exists(path):
        rep.error(os.path.relpath(path, ROOT), "file missing")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=LineLoader)
    except yaml.YAMLError as e:
        rep.error(os.path.relpath(path, ROOT), f"malformed YAML: {e}")
        return None


def check_keys(rep, path, node, required, optional=(), ident=None, what="entry"):
    if not isinstance(node, dict):
        rep.error(where(path, node, ident), f"{what} must be a mapping, got {type(node).__name__}")
        return False
    ok = True
    for k in required:
        if k not in node:
            rep.error(where(path, node, ident), f"{what} lacks required field '{k}'")
            ok = False
    for k in node:
        if k not in required and k not in optional:
            rep.error(where(path, node, ident), f"{what} has unknown field '{k}'")
            ok = False
    return ok


def nonempty_str(rep, path, node, key, ident):
    v = node.get(key)
    if not isinstance(v, str) or not v.strip():
        rep.error(where(path, node, ident), f"'{key}' must be a non-empty string, got {v!r}")
        return False
    return True


# --- framework reference data ---------------------------------------------------------------------------------

def load_nist(rep, path):
    if not os.path.exists(path):
        rep.warn(path, "NIST SP 800-53 rev5 catalog absent: 800-53 ids checked by form only")
        return None
    with open(path, encoding="utf-8") as f:
        cat = json.load(f)["catalog"]
    ids = {}

    def walk(ctrls):
        for c in ctrls:
            withdrawn = any(p.get("name") == "status" and p.get("value") == "withdrawn" for p in c.get("props", []))
            ids[c["id"]] = withdrawn
            walk(c.get("controls", []))

    for g in cat.get("groups", []):
        walk(g.get("controls", []))
    return ids


def load_framework_files(rep, fw_dir):
    """Return {framework id: set of requirement ids (non-group)} for the framework files present."""
    result = {}
    if not fw_dir or not os.path.isdir(fw_dir):
        return result
    for name in sorted(os.listdir(fw_dir)):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(fw_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
        except yaml.YAMLError as e:
            rep.warn(path, f"framework file unreadable (other branch, in progress?): {e}")
            continue
        if not isinstance(doc, dict) or "id" not in doc:
            rep.warn(path, "framework file has no id; skipped")
            continue
        reqs = set()
        for r in doc.get("requirements") or []:
            if isinstance(r, dict) and "id" in r and r.get("kind") != "group":
                reqs.add(str(r["id"]))
        result[str(doc["id"])] = reqs
    return result


# --- the checks -----------------------------------------------------------------------------------------------

def check_programme(rep, content):
    path = os.path.join(content, "programme.yaml")
    doc = load(rep, path)
    regions = {}
    if doc is None:
        return regions
    check_keys(rep, path, doc, ["provider", "regions", "users"], what="programme.yaml")
    prov = doc.get("provider") or {}
    if check_keys(rep, path, prov, ["name", "legal_name", "website"], what="provider"):
        if prov.get("name") != "Contour Cloud":
            rep.error(where(path, prov), "provider name must be 'Contour Cloud'")
    countries = set()
    for r in doc.get("regions") or []:
        if not check_keys(rep, path, r, ["id", "name", "country"], ident=r.get("id") if isinstance(r, dict) else None,
                          what="region"):
            continue
        if not SLUG_RE.match(str(r["id"])):
            rep.error(where(path, r, r["id"]), "region id must be a lowercase slug")
        if r["id"] in regions:
            rep.error(where(path, r, r["id"]), "duplicate region id")
        if not re.match(r"^[A-Z]{2}$", str(r["country"])):
            rep.error(where(path, r, r["id"]), "country must be an ISO 3166-1 alpha-2 code")
        regions[r["id"]] = r["country"]
        countries.add(r["country"])
    for need, codes in (("US", {"US"}), ("UK", {"GB"}), ("EU", {"IE", "DE", "FR", "NL", "SE", "IT", "ES"}),
                        ("SG", {"SG"}), ("AU", {"AU"})):
        if not countries & codes:
            rep.error(where(path), f"no region in {need}")
    roles_seen = set()
    for u in doc.get("users") or []:
        if not check_keys(rep, path, u, ["email", "name", "role"], what="user"):
            continue
        if u["role"] not in PROVIDER_ROLES:
            rep.error(where(path, u, u["email"]), f"unknown provider role '{u['role']}'")
        if not str(u["email"]).endswith("@contour.example") or not EMAIL_RE.match(str(u["email"])):
            rep.error(where(path, u, u["email"]), "provider users use @contour.example addresses")
        roles_seen.add(u["role"])
    for role in PROVIDER_ROLES - roles_seen:
        rep.error(where(path), f"no provider user with role '{role}'")
    return regions


def check_domains(rep, content):
    path = os.path.join(content, "baseline", "domains.yaml")
    doc = load(rep, path)
    domains = []
    if doc is None:
        return domains
    check_keys(rep, path, doc, ["domains"], what="domains.yaml")
    for d in doc.get("domains") or []:
        if not check_keys(rep, path, d, ["id", "name", "description"], what="domain"):
            continue
        if not re.match(r"^[A-Z]{2,4}$", str(d["id"])):
            rep.error(where(path, d, d["id"]), "domain id must be 2-4 capital letters")
        if d["id"] in domains:
            rep.error(where(path, d, d["id"]), "duplicate domain id")
        domains.append(d["id"])
    for need in REQUIRED_DOMAINS:
        if need not in domains:
            rep.error(where(path), f"required domain {need} missing")
    if len(domains) < MIN_DOMAINS:
        rep.error(where(path), f"{len(domains)} domains, need at least {MIN_DOMAINS}")
    return domains


def check_parts(rep, path, node, ident, keys=(), allow_reason=False, require_reason=False):
    """Check a {KEYS..., responsibility, provider_part, customer_part[, reason]} assignment."""
    optional = ["provider_part", "customer_part"] + (["reason"] if allow_reason else [])
    required = list(keys) + ["responsibility"] + (["reason"] if require_reason else [])
    if not check_keys(rep, path, node, required, [o for o in optional if o not in required], ident=ident,
                      what="responsibility"):
        return None
    resp = node["responsibility"]
    if resp not in RESPONSIBILITIES:
        rep.error(where(path, node, ident), f"responsibility '{resp}' not one of {sorted(RESPONSIBILITIES)}")
        return None
    need_p = resp in ("provider", "shared")
    need_c = resp in ("customer", "shared")
    if need_p and not nonempty_str(rep, path, node, "provider_part", ident):
        pass
    if need_c and not nonempty_str(rep, path, node, "customer_part", ident):
        pass
    if not need_p and "provider_part" in node:
        rep.error(where(path, node, ident), f"provider_part given for a '{resp}' responsibility")
    if not need_c and "customer_part" in node:
        rep.error(where(path, node, ident), f"customer_part given for a '{resp}' responsibility")
    if "reason" in node:
        nonempty_str(rep, path, node, "reason", ident)
    return resp


def check_requirement_id(rep, path, m, ident, fw, req, nist, fw_files, warned):
    if not isinstance(req, str):
        rep.error(where(path, m, ident), f"requirement {req!r} of {fw} must be a string (quote it in YAML)")
        return
    form = ID_FORMS.get(fw)
    if form and not form.match(req):
        rep.error(where(path, m, ident), f"{fw} requirement '{req}' is not in the framework's canonical id form")
        return
    if fw == "iso27001-2022" and req not in ISO_ANNEX_A:
        rep.error(where(path, m, ident), f"'{req}' is not one of the 93 ISO/IEC 27001:2022 Annex A controls")
    if fw == "soc2" and req not in SOC2_CC and req not in SOC2_OTHER:
        rep.error(where(path, m, ident), f"'{req}' is not a SOC 2 (2017 TSC) criterion")
    if fw == "nist-csf-2.0" and req not in CSF20:
        rep.error(where(path, m, ident), f"'{req}' is not a CSF 2.0 subcategory (CSF 1.1 ids do not exist in 2.0)")
    if fw == "csa-ccm-4" and req not in CCM:
        rep.error(where(path, m, ident), f"'{req}' is not a CSA CCM v4 control id")
    if fw == "hipaa-security" and req not in HIPAA:
        rep.error(where(path, m, ident), f"'{req}' is not a HIPAA Security Rule standard or specification")
    if fw == "nist-800-53-r5" and nist is not None:
        if req not in nist:
            rep.error(where(path, m, ident), f"800-53 id '{req}' is not in the rev5 catalog")
        elif nist[req]:
            rep.error(where(path, m, ident), f"800-53 id '{req}' is withdrawn in rev5")
    if fw in fw_files:
        if req not in fw_files[fw]:
            rep.error(where(path, m, ident), f"requirement '{req}' not found in frameworks/{fw}.yaml")
    elif fw not in warned:
        warned.add(fw)
        rep.warn(f"frameworks/{fw}.yaml", "not written yet; its requirement ids checked by form only")


def check_controls(rep, content, domains, nist, fw_files):
    controls = {}
    warned = set()
    base = os.path.join(content, "baseline")
    for d in domains:
        path = os.path.join(base, f"{d}.yaml")
        doc = load(rep, path)
        if doc is None:
            continue
        if not check_keys(rep, path, doc, ["controls"], what=f"{d}.yaml"):
            continue
        items = doc.get("controls") or []
        if not items:
            rep.error(where(path), f"domain {d} has no controls")
        for c in items:
            ident = c.get("id") if isinstance(c, dict) else None
            if not check_keys(rep, path, c, ["id", "title", "statement", "test_procedure", "evidence", "defaults",
                                             "mappings"], ident=ident, what="control"):
                if not isinstance(c, dict) or "id" not in c:
                    continue
            m = CONTROL_RE.match(str(ident))
            if not m or m.group(1) != d:
                rep.error(where(path, c, ident), f"control id must be {d}-NN")
            if ident in controls:
                rep.error(where(path, c, ident), "duplicate control id")
            controls[ident] = {"defaults": {}, "mappings": [], "path": path}
            for k in ("title", "statement", "test_procedure"):
                if k in c:
                    nonempty_str(rep, path, c, k, ident)
            ev = c.get("evidence")
            if not isinstance(ev, list) or not ev or not all(isinstance(e, str) and e.strip() for e in ev):
                rep.error(where(path, c, ident), "evidence must be a non-empty list of strings")
            defaults = c.get("defaults")
            if isinstance(defaults, dict):
                check_keys(rep, path, defaults, MODELS, ident=ident, what="defaults")
                for model in MODELS:
                    if isinstance(defaults.get(model), dict):
                        resp = check_parts(rep, path, defaults[model], f"{ident} {model}")
                        controls[ident]["defaults"][model] = resp
            elif "defaults" in c:
                rep.error(where(path, c, ident), "defaults must be a mapping with iaas, paas, saas")
            maps = c.get("mappings")
            if not isinstance(maps, list) or not maps:
                rep.error(where(path, c, ident), "control has no mappings")
                continue
            seen = set()
            for mp in maps:
                if not check_keys(rep, path, mp, ["framework", "requirement", "relationship", "rationale"],
                                  ident=ident, what="mapping"):
                    continue
                fw, req, rel = mp["framework"], mp["requirement"], mp["relationship"]
                if fw not in ALL_FRAMEWORKS:
                    rep.error(where(path, mp, ident), f"unknown framework '{fw}'")
                    continue
                if rel not in RELATIONSHIPS:
                    rep.error(where(path, mp, ident), f"relationship '{rel}' not one of {sorted(RELATIONSHIPS)}")
                nonempty_str(rep, path, mp, "rationale", ident)
                if (fw, req) in seen:
                    rep.error(where(path, mp, ident), f"duplicate mapping to {fw} {req}")
                seen.add((fw, req))
                check_requirement_id(rep, path, mp, ident, fw, req, nist, fw_files, warned)
                controls[ident]["mappings"].append((fw, str(req), rel))
            equals = {}
            for fw, req, rel in controls[ident]["mappings"]:
                if rel in ("equal-to", "equivalent-to"):
                    equals.setdefault(fw, []).append(req)
            for fw, reqs in equals.items():
                if len(reqs) > 1:
                    rep.error(where(path, c, ident), f"equal to several {fw} requirements {reqs}: equal-to is "
                              "one-to-one; use superset-of for requirements the control covers fully")
            distinct = {fw for fw, _, rel in controls[ident]["mappings"]
                        if fw in REQUIRED_FRAMEWORKS and rel != "no-relationship"}
            if len(distinct) < 4:
                rep.error(where(path, c, ident),
                          f"mapped to {len(distinct)} required frameworks ({sorted(distinct)}), need at least 4")
    extra = sorted(f for f in os.listdir(base) if f.endswith((".yaml", ".yml")) and f != "domains.yaml"
                   and os.path.splitext(f)[0] not in domains)
    for f in extra:
        rep.error(os.path.join("content", "baseline", f), "file for a domain not listed in domains.yaml")
    return controls


def check_baseline_totals(rep, controls):
    if len(controls) < MIN_CONTROLS:
        rep.error("content/baseline", f"{len(controls)} controls, need at least {MIN_CONTROLS}")
    for cid in REQUIRED_CONTROLS:
        if cid not in controls:
            rep.error("content/baseline", f"required control {cid} missing")
    for cid, fw, req in NAMED_PAIRS:
        if cid in controls and not any(f == fw and r == req for f, r, _ in controls[cid]["mappings"]):
            rep.error(where(controls[cid]["path"], None, cid), f"named pair {cid} -> {fw} {req} missing")

    def covered(fw, universe):
        hit = {r for c in controls.values() for f, r, rel in c["mappings"] if f == fw and rel != "no-relationship"}
        return sorted(set(universe) & hit, key=universe.index), [u for u in universe if u not in hit]

    iso_hit, iso_gap = covered("iso27001-2022", ISO_ANNEX_A)
    soc_hit, soc_gap = covered("soc2", SOC2_CC)
    iso_pct, soc_pct = len(iso_hit) / len(ISO_ANNEX_A), len(soc_hit) / len(SOC2_CC)
    rep.info(f"ISO/IEC 27001:2022 Annex A coverage: {len(iso_hit)}/93 = {iso_pct:.1%}"
             + (f" (gaps: {', '.join(iso_gap)})" if iso_gap else ""))
    rep.info(f"SOC 2 common criteria coverage: {len(soc_hit)}/33 = {soc_pct:.1%}"
             + (f" (gaps: {', '.join(soc_gap)})" if soc_gap else ""))
    if iso_pct < MIN_ISO:
        rep.error("content/baseline", f"ISO Annex A coverage {iso_pct:.1%} below {MIN_ISO:.0%}")
    if soc_pct < MIN_SOC2:
        rep.error("content/baseline", f"SOC 2 CC coverage {soc_pct:.1%} below {MIN_SOC2:.0%}")
    for fw in ["nist-csf-2.0", "nist-800-53-r5", "csa-ccm-4", "gdpr", "hipaa-security"] + OPTIONAL_FRAMEWORKS:
        reqs = {r for c in controls.values() for f, r, _ in c["mappings"] if f == fw}
        n = sum(1 for c in controls.values() if any(f == fw for f, _, _ in c["mappings"]))
        rep.info(f"  {fw}: {len(reqs)} distinct requirements mapped from {n} controls")
    return iso_pct, soc_pct


def check_services(rep, content, regions, controls):
    path = os.path.join(content, "services.yaml")
    doc = load(rep, path)
    services = {}
    if doc is None:
        return services
    check_keys(rep, path, doc, ["services"], what="services.yaml")
    for s in doc.get("services") or []:
        ident = s.get("id") if isinstance(s, dict) else None
        if not check_keys(rep, path, s, ["id", "name", "model", "description", "regions"],
                          ["options", "entries", "option_rules"], ident=ident, what="service"):
            if not isinstance(s, dict) or "id" not in s:
                continue
        if not SLUG_RE.match(str(ident)):
            rep.error(where(path, s, ident), "service id must be a lowercase slug")
        if ident in services:
            rep.error(where(path, s, ident), "duplicate service id")
        model = s.get("model")
        if model not in MODELS:
            rep.error(where(path, s, ident), f"model '{model}' not one of {MODELS}")
            continue
        for k in ("name", "description"):
            nonempty_str(rep, path, s, k, ident)
        regs = s.get("regions") or []
        if not regs:
            rep.error(where(path, s, ident), "service runs in no region")
        for r in regs:
            if r not in regions:
                rep.error(where(path, s, ident), f"region '{r}' not in programme.yaml")
        if len(set(regs)) != len(regs):
            rep.error(where(path, s, ident), "duplicate region")
        options = {}
        for o in s.get("options") or []:
            if not check_keys(rep, path, o, ["id", "name", "direction"], ident=ident, what="option"):
                continue
            if o["id"] in options:
                rep.error(where(path, o, ident), f"duplicate option '{o['id']}'")
            if not SLUG_RE.match(str(o["id"])):
                rep.error(where(path, o, ident), "option id must be a lowercase slug")
            if o["direction"] not in DIRECTIONS:
                rep.error(where(path, o, ident), f"direction '{o['direction']}' not one of {sorted(DIRECTIONS)}")
            options[o["id"]] = o["direction"]
        effective = {cid: c["defaults"].get(model) for cid, c in controls.items()}
        seen = set()
        for e in s.get("entries") or []:
            if not isinstance(e, dict):
                rep.error(where(path, s, ident), "entry must be a mapping")
                continue
            cid = e.get("control")
            resp = check_parts(rep, path, e, f"{ident} {cid}", keys=["control"], allow_reason=True,
                               require_reason=True)
            if cid not in controls:
                rep.error(where(path, e, ident), f"entry for unknown control '{cid}'")
                continue
            if cid in seen:
                rep.error(where(path, e, ident), f"second entry for control {cid}")
            seen.add(cid)
            if resp is not None:
                if resp == controls[cid]["defaults"].get(model):
                    rep.warn(where(path, e, f"{ident} {cid}"),
                             f"entry repeats the {model} default '{resp}' (parts differ only)")
                effective[cid] = resp
        seen_rules = set()
        used_options = set()
        for r in s.get("option_rules") or []:
            if not isinstance(r, dict):
                rep.error(where(path, s, ident), "option rule must be a mapping")
                continue
            cid, opt = r.get("control"), r.get("option")
            resp = check_parts(rep, path, r, f"{ident} {opt} {cid}", keys=["option", "control"], allow_reason=True,
                               require_reason=True)
            if opt not in options:
                rep.error(where(path, r, ident), f"option rule for option '{opt}' the service does not offer")
                continue
            used_options.add(opt)
            if cid not in controls:
                rep.error(where(path, r, ident), f"option rule for unknown control '{cid}'")
                continue
            if (opt, cid) in seen_rules:
                rep.error(where(path, r, ident), f"second rule for option {opt} and control {cid}")
            seen_rules.add((opt, cid))
            before = effective.get(cid)
            if resp is None or before is None:
                continue
            if resp not in AXIS or before not in AXIS:
                rep.error(where(path, r, f"{ident} {opt} {cid}"),
                          f"option rule moves {before} -> {resp}: not-applicable has no direction")
                continue
            step = AXIS[resp] - AXIS[before]
            want = 1 if options[opt] == "towards-provider" else -1
            if step == 0 or (step > 0) != (want > 0):
                rep.error(where(path, r, f"{ident} {opt} {cid}"),
                          f"option '{opt}' is {options[opt]} but its rule moves {cid} {before} -> {resp}")
        for o in options:
            if o not in used_options:
                rep.error(where(path, s, ident), f"option '{o}' has no option rule")
        services[ident] = {"model": model, "regions": set(regs), "options": set(options)}
    models = {s["model"] for s in services.values()}
    for m in MODELS:
        if m not in models:
            rep.error(where(path), f"no {m} service")
    if len(services) < MIN_SERVICES:
        rep.error(where(path), f"{len(services)} services, need at least {MIN_SERVICES}")
    for need in ("vpc", "vm", "kms", "iam", "logging", "functions", "mail"):
        if need not in services:
            rep.error(where(path), f"service '{need}' missing")
    if "vm" in services and "managed-patching" not in services["vm"]["options"]:
        rep.error(where(path), "vm lacks the managed-patching option")
    return services


def check_tenants(rep, content, regions, services):
    path = os.path.join(content, "tenants.yaml")
    doc = load(rep, path)
    if doc is None:
        return []
    check_keys(rep, path, doc, ["tenants"], what="tenants.yaml")
    ids = []
    for t in doc.get("tenants") or []:
        ident = t.get("id") if isinstance(t, dict) else None
        if not check_keys(rep, path, t, ["id", "legal_name", "industry", "contract_ref", "processing_role", "tier",
                                         "regions", "contacts", "services", "frameworks", "users"],
                          ["nda_signed"], ident=ident, what="tenant"):
            if not isinstance(t, dict) or "id" not in t:
                continue
        if not SLUG_RE.match(str(ident)):
            rep.error(where(path, t, ident), "tenant id must be a lowercase slug")
        if ident in ids:
            rep.error(where(path, t, ident), "duplicate tenant id")
        ids.append(ident)
        if t.get("processing_role") not in PROCESSING_ROLES:
            rep.error(where(path, t, ident), f"processing_role '{t.get('processing_role')}' unknown")
        if "nda_signed" in t and not isinstance(t["nda_signed"], datetime.date):
            rep.error(where(path, t, ident), "nda_signed must be a date (YYYY-MM-DD)")
        tregs = t.get("regions") or []
        for r in tregs:
            if r not in regions:
                rep.error(where(path, t, ident), f"region '{r}' not in programme.yaml")
        for c in t.get("contacts") or []:
            if check_keys(rep, path, c, ["role", "name", "email"], ident=ident, what="contact"):
                if c["role"] not in CONTACT_ROLES:
                    rep.error(where(path, c, ident), f"contact role '{c['role']}' unknown")
                if not EMAIL_RE.match(str(c["email"])) or not str(c["email"]).endswith(".example"):
                    rep.error(where(path, c, ident), f"contact e-mail '{c['email']}' must be on a .example domain")
        used = set()
        for su in t.get("services") or []:
            if not check_keys(rep, path, su, ["service"], ["options"], ident=ident, what="service use"):
                continue
            sid = su["service"]
            if sid not in services:
                rep.error(where(path, su, ident), f"unknown service '{sid}'")
                continue
            if sid in used:
                rep.error(where(path, su, ident), f"service '{sid}' listed twice")
            used.add(sid)
            for o in su.get("options") or []:
                if o not in services[sid]["options"]:
                    rep.error(where(path, su, ident), f"service '{sid}' does not offer option '{o}'")
            for r in tregs:
                if r not in services[sid]["regions"]:
                    rep.error(where(path, su, ident), f"service '{sid}' does not run in tenant region '{r}'")
        if not used:
            rep.error(where(path, t, ident), "tenant uses no service")
        for fw in t.get("frameworks") or []:
            if fw not in ALL_FRAMEWORKS:
                rep.error(where(path, t, ident), f"unknown framework '{fw}'")
        for u in t.get("users") or []:
            if check_keys(rep, path, u, ["email", "name", "role"], ident=ident, what="user"):
                if u["role"] not in CUSTOMER_ROLES:
                    rep.error(where(path, u, ident), f"user role '{u['role']}' unknown")
                if not EMAIL_RE.match(str(u["email"])) or not str(u["email"]).endswith(".example"):
                    rep.error(where(path, u, ident), f"user e-mail '{u['email']}' must be on a .example domain")
        if ident == "brightpath":
            non_saas = sorted(s for s in used if services[s]["model"] != "saas")
            if non_saas:
                rep.error(where(path, t, ident), f"brightpath must be SaaS-only, uses {non_saas}")
        if ident == "northbank":
            need = {"vpc", "vm", "block-storage", "object-storage", "kms", "iam", "logging", "database"}
            if not need <= used:
                rep.error(where(path, t, ident), f"northbank lacks {sorted(need - used)}")
    for need in ("northbank", "brightpath"):
        if need not in ids:
            rep.error(where(path), f"tenant '{need}' missing")
    if len(ids) != 6:
        rep.error(where(path), f"{len(ids)} tenants, the demo has 6")
    return ids


def check_assessors(rep, content):
    path = os.path.join(content, "assessors.yaml")
    doc = load(rep, path)
    if doc is None:
        return 0
    check_keys(rep, path, doc, ["assessor_firms"], what="assessors.yaml")
    firms = doc.get("assessor_firms") or []
    if not 2 <= len(firms) <= 3:
        rep.error(where(path), f"{len(firms)} assessor firms, want 2-3")
    ids, emails = set(), set()
    for f in firms:
        if not check_keys(rep, path, f, ["id", "name", "assessors"], what="assessor firm"):
            continue
        if f["id"] in ids or not SLUG_RE.match(str(f["id"])):
            rep.error(where(path, f, f["id"]), "firm id must be a unique lowercase slug")
        ids.add(f["id"])
        if len(f["assessors"] or []) < 2:
            rep.error(where(path, f, f["id"]), "firm needs at least 2 assessors")
        for a in f["assessors"] or []:
            if check_keys(rep, path, a, ["email", "name"], ident=f["id"], what="assessor"):
                if a["email"] in emails or not str(a["email"]).endswith(".example"):
                    rep.error(where(path, a, f["id"]), f"assessor e-mail '{a['email']}' duplicate or not .example")
                emails.add(a["email"])
    return len(firms)


def check_terms(rep, content):
    files = [os.path.join(content, f) for f in ("programme.yaml", "services.yaml", "tenants.yaml", "assessors.yaml")]
    base = os.path.join(content, "baseline")
    if os.path.isdir(base):
        files += [os.path.join(base, f) for f in sorted(os.listdir(base)) if f.endswith((".yaml", ".yml"))]
    for path in files:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for rx, why in FORBIDDEN:
                    if rx.search(line):
                        rep.error(f"{os.path.relpath(path, ROOT)}:{n}", f"outdated or forbidden term: {why}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", default=os.path.join(ROOT, "content"))
    ap.add_argument("--frameworks", default=None,
                    help="framework files to check requirement ids against (default: content/frameworks, "
                         f"else {OTHER_FW_DIR})")
    ap.add_argument("--nist-catalog", default=DEFAULT_NIST)
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    rep = Report(args.quiet)

    fw_dir = args.frameworks
    if fw_dir is None:
        own = os.path.join(args.content, "frameworks")
        fw_dir = own if os.path.isdir(own) and os.listdir(own) else OTHER_FW_DIR
    fw_files = load_framework_files(rep, fw_dir)
    if fw_files:
        rep.info(f"framework files from {fw_dir}: {', '.join(sorted(fw_files))}")
    nist = load_nist(rep, args.nist_catalog)

    regions = check_programme(rep, args.content)
    domains = check_domains(rep, args.content)
    controls = check_controls(rep, args.content, domains, nist, fw_files)
    iso_pct, soc_pct = check_baseline_totals(rep, controls)
    services = check_services(rep, args.content, regions, controls)
    tenants = check_tenants(rep, args.content, regions, services)
    firms = check_assessors(rep, args.content)
    check_terms(rep, args.content)

    resp_counts = {m: {} for m in MODELS}
    for c in controls.values():
        for m, r in c["defaults"].items():
            resp_counts[m][r] = resp_counts[m].get(r, 0) + 1
    rep.info(f"{len(controls)} controls in {len(domains)} domains; {len(services)} services; {len(tenants)} tenants; "
             f"{firms} assessor firms")
    for m in MODELS:
        rep.info(f"  {m} defaults: " + ", ".join(f"{k} {v}" for k, v in sorted(resp_counts[m].items(), key=str)))
    for w in rep.warnings:
        print(w)
    for e in rep.errors:
        print(e)
    print(f"{len(rep.errors)} error(s), {len(rep.warnings)} warning(s)")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
