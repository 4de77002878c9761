#!/usr/bin/env python3
"""Generate content/frameworks/nist-csf-2.0.yaml from NIST's OSCAL catalog of the Cybersecurity Framework 2.0.

Usage: scripts/gen-csf.py [CATALOG_XML] [OUT_YAML]
Defaults: ../shared/data/nist-csf-2.0/NIST_CSF_v2.0_catalog.xml (relative to the repository root) and
content/frameworks/nist-csf-2.0.yaml.

Functions (GV, ID, PR, DE, RS, RC) and categories (e.g. PR.AA) become `kind: group` requirements; subcategories
(e.g. PR.AA-03) are the requirements, with their category as parent. NIST's catalog also carries the CSF 1.1
categories and subcategories that CSF 2.0 withdrew (ID.BE, PR.AC, PR.IP-01, ...) with no implementation examples
and no risk-party property; they are skipped. The result is checked against the 106 subcategory IDs of CSF 2.0.

`text` is the published outcome statement; `title` is the same statement, or for the long ones a shortening of it
(SHORT below), so that titles stay under about 100 characters. NIST text is public domain.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SRC = os.path.join(ROOT, "..", "shared", "data", "nist-csf-2.0", "NIST_CSF_v2.0_catalog.xml")
DEFAULT_OUT = os.path.join(ROOT, "content", "frameworks", "nist-csf-2.0.yaml")
NS = {"o": "http://csrc.nist.gov/ns/oscal/1.0"}
MAX_TITLE = 100

# The 106 subcategories of CSF 2.0 (NIST CSWP 29), per category.
EXPECTED = {
    "GV.OC": "01 02 03 04 05", "GV.RM": "01 02 03 04 05 06 07", "GV.RR": "01 02 03 04",
    "GV.PO": "01 02", "GV.OV": "01 02 03", "GV.SC": "01 02 03 04 05 06 07 08 09 10",
    "ID.AM": "01 02 03 04 05 07 08", "ID.RA": "01 02 03 04 05 06 07 08 09 10", "ID.IM": "01 02 03 04",
    "PR.AA": "01 02 03 04 05 06", "PR.AT": "01 02", "PR.DS": "01 02 10 11", "PR.PS": "01 02 03 04 05 06",
    "PR.IR": "01 02 03 04",
    "DE.CM": "01 02 03 06 09", "DE.AE": "02 03 04 06 07 08",
    "RS.MA": "01 02 03 04 05", "RS.AN": "03 06 07 08", "RS.CO": "02 03", "RS.MI": "01 02",
    "RC.RP": "01 02 03 04 05 06", "RC.CO": "03 04",
}

# Shortened titles for statements longer than MAX_TITLE (the full statement stays in `text`).
SHORT = {
    "GV.OC-02": "Internal and external stakeholders and their cybersecurity risk expectations are understood",
    "GV.OC-03": "Legal, regulatory and contractual cybersecurity and privacy requirements are understood and managed",
    "GV.OC-04": "Critical objectives, capabilities and services that external stakeholders depend on are understood",
    "GV.OC-05": "Outcomes, capabilities and services the organization depends on are understood and communicated",
    "GV.OV-01": "Risk management strategy outcomes are reviewed to adjust strategy and direction",
    "GV.OV-02": "Risk management strategy is reviewed and adjusted to cover organizational requirements and risks",
    "GV.OV-03": "Cybersecurity risk management performance is evaluated and reviewed",
    "GV.PO-01": "Policy for managing cybersecurity risks is established, communicated and enforced",
    "GV.PO-02": "Policy for managing cybersecurity risks is reviewed, updated, communicated and enforced",
    "GV.RM-03": "Cybersecurity risk management is included in enterprise risk management processes",
    "GV.RM-05": "Lines of communication on cybersecurity risks, incl. supplier and third-party risks, exist",
    "GV.RM-06": "A standardized method to calculate, document and prioritize cybersecurity risks is established",
    "GV.RM-07": "Strategic opportunities (positive risks) are included in cybersecurity risk discussions",
    "GV.RR-01": "Leadership is accountable for cybersecurity risk and fosters a risk-aware, ethical culture",
    "GV.RR-02": "Cybersecurity risk management roles, responsibilities and authorities are established and enforced",
    "GV.RR-03": "Adequate resources are allocated for the cybersecurity risk strategy, roles and policies",
    "GV.SC-01": "A cybersecurity supply chain risk management program is established and agreed",
    "GV.SC-02": "Cybersecurity roles and responsibilities for suppliers, customers and partners are established",
    "GV.SC-03": "Supply chain risk management is integrated into cybersecurity and enterprise risk management",
    "GV.SC-05": "Supply chain cybersecurity requirements are integrated into contracts and agreements with suppliers",
    "GV.SC-06": "Planning and due diligence reduce risks before entering supplier or third-party relationships",
    "GV.SC-07": "Supplier and third-party risks are understood, assessed, responded to and monitored over time",
    "GV.SC-08": "Relevant suppliers and third parties are included in incident planning, response and recovery",
    "GV.SC-09": "Supply chain security practices are integrated into risk programs and monitored over the life cycle",
    "GV.SC-10": "Supply chain risk management plans cover activities after a partnership or service agreement ends",
    "ID.AM-03": "Authorized network communication and internal and external data flows are represented and maintained",
    "ID.IM-02": "Improvements are identified from security tests and exercises, incl. those with suppliers",
    "ID.IM-04": "Incident response and other cybersecurity plans are established, maintained and improved",
    "ID.RA-05": "Threats, vulnerabilities, likelihoods and impacts inform inherent risk and response prioritization",
    "PR.AA-01": "Identities and credentials for authorized users, services and hardware are managed",
    "PR.AA-05": "Access permissions are defined in policy, managed, enforced and reviewed (least privilege, SoD)",
    "PR.AT-01": "Personnel receive awareness and training to perform general tasks with cybersecurity risks in mind",
    "PR.AT-02": "Individuals in specialized roles receive awareness and training for their cybersecurity tasks",
    "PR.PS-06": "Secure software development practices are integrated and monitored throughout the SDLC",
    "DE.CM-09": "Hardware, software, runtime environments and their data are monitored for adverse events",
    "RS.AN-03": "Analysis establishes what took place during an incident and its root cause",
    "RS.AN-06": "Investigation actions are recorded and the records' integrity and provenance are preserved",
    "RS.MA-01": "The incident response plan is executed with relevant third parties once an incident is declared",
    "RC.CO-03": "Recovery activities and progress are communicated to designated internal and external stakeholders",
    "RC.RP-01": "The recovery portion of the incident response plan is executed once initiated",
    "RC.RP-04": "Critical mission functions and risk management inform post-incident operational norms",
    "RC.RP-05": "Restored assets' integrity is verified, systems and services are restored, normal status confirmed",
    "RC.RP-06": "The end of incident recovery is declared on criteria and incident documentation is completed",
}


def q(s):
    return json.dumps(s, ensure_ascii=False)


def text_of(el):
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def statement(ctrl):
    return text_of(ctrl.find("o:part[@name='statement']", NS))


def is_current(sub):
    """CSF 2.0 subcategories carry implementation examples (or a risk-party prop); withdrawn CSF 1.1 ones do not."""
    has_example = sub.find("o:part[@name='example']", NS) is not None
    has_party = any(p.get("name") == "risk-party" for p in sub.findall("o:prop", NS))
    return has_example or has_party


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC
    out = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    root = ET.parse(src).getroot()
    rows = []  # (id, title, parent, kind, text)
    found = {}
    skipped = []
    for fn in root.findall("o:group", NS):
        fid = fn.get("id")
        fn_rows = [(fid, fn.find("o:title", NS).text.strip().capitalize(), None, "group",
                    text_of(fn.find("o:part[@name='overview']", NS)))]
        for cat in fn.findall("o:control[@class='category']", NS):
            cid = cat.get("id")
            subs = cat.findall("o:control[@class='subcategory']", NS)
            current = [s for s in subs if is_current(s)]
            skipped += [s.get("id") for s in subs if not is_current(s)]
            if not current:
                skipped.append(cid)
                continue
            fn_rows.append((cid, cat.find("o:title", NS).text.strip(), fid, "group", statement(cat)))
            for s in current:
                sid = s.get("id")
                stmt = statement(s)
                title = stmt if len(stmt) <= MAX_TITLE else SHORT.get(sid)
                if title is None:
                    sys.exit("no short title for %s (%d chars): %s" % (sid, len(stmt), stmt))
                if len(title) > MAX_TITLE:
                    sys.exit("short title too long for %s" % sid)
                found.setdefault(cid, []).append(sid.split("-")[1])
                fn_rows.append((sid, title, cid, None, stmt))
        rows += fn_rows

    got = {k: " ".join(v) for k, v in found.items()}
    if got != EXPECTED:
        for k in sorted(set(got) | set(EXPECTED)):
            if got.get(k) != EXPECTED.get(k):
                print("mismatch %s: catalog %s, expected %s" % (k, got.get(k), EXPECTED.get(k)), file=sys.stderr)
        sys.exit(1)
    n = sum(1 for r in rows if r[3] is None)
    if n != 106:
        sys.exit("expected 106 subcategories, got %d" % n)
    unused = set(SHORT) - {r[0] for r in rows if r[1] == SHORT.get(r[0])}
    if unused:
        sys.exit("SHORT titles not used: %s" % sorted(unused))

    with open(out, "w", encoding="utf-8") as f:
        f.write("# NIST Cybersecurity Framework 2.0, generated by scripts/gen-csf.py from NIST's OSCAL catalog\n")
        f.write("# (NIST_CSF_v2.0_catalog.xml). Do not edit by hand: re-run the script.\n")
        f.write("# Functions and categories are groups; the %d subcategories are the requirements. The CSF 1.1\n" % n)
        f.write("# categories and subcategories withdrawn in 2.0 that the catalog still carries (%d) are skipped.\n" % len(skipped))
        f.write("id: nist-csf-2.0\n")
        f.write("name: " + q("NIST Cybersecurity Framework (CSF) 2.0") + "\n")
        f.write('version: "2.0"\n')
        f.write('publisher: "NIST"\n')
        f.write("licence: >-\n")
        f.write("  Public domain (US government work). `text` is NIST's published outcome statement; long statements\n")
        f.write("  have a shortened `title`.\n")
        f.write("requirements:\n")
        for rid, title, parent, kind, text in rows:
            f.write("  - id: " + q(rid) + "\n")
            f.write("    title: " + q(title) + "\n")
            if parent:
                f.write("    parent: " + q(parent) + "\n")
            if kind:
                f.write("    kind: " + kind + "\n")
            if text:
                f.write("    text: " + q(text) + "\n")
    print("wrote %s: %d subcategories, %d groups; skipped withdrawn: %d" % (out, n, len(rows) - n, len(skipped)))


if __name__ == "__main__":
    main()
