#!/usr/bin/env python3
"""Copy a gen.py snapshot with perturbed values, for conformance runs against pycheck.py.

usage: perturb-snapshot.py IN.json OUT.json [SEED]

Keeps the shape pycheck.py reads but changes values: flips booleans, moves times (some exactly onto the
365-day boundary), rewrites ports, CIDRs (including IPv6) and tiers, adds and drops access keys and ingress
rules, and shifts snapshot_time, so that agreement on the copy shows the engine computes rather than
matches a fixture.
"""
import json
import random
import sys

src, dst = sys.argv[1], sys.argv[2]
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
YEAR = 31_536_000
with open(src) as f:
    snap = json.load(f)
now = snap["snapshot_time"] + 12_345
snap["snapshot_time"] = now


def flip(r, k, p=0.2):
    if rnd.random() < p:
        r[k] = not r[k]


def some_time():
    c = rnd.random()
    if c < 0.1:
        return now - YEAR  # exactly on the boundary: passes (<=)
    if c < 0.2:
        return now - YEAR - 1  # one second over: fails
    if c < 0.25:
        return now + 3600  # in the future
    return now - rnd.randint(0, 800 * 86400)


for r in snap["resources"]:
    t = r["type"]
    if t == "iam_user":
        for k in ("privileged", "console_access", "mfa_enabled"):
            flip(r, k)
        for k in r["access_keys"]:
            flip(k, "active")
            if rnd.random() < 0.5:
                k["created"] = some_time()
        if rnd.random() < 0.2:
            r["access_keys"].append({"key_id": r["id"] + "_x", "created": some_time(), "active": rnd.random() < 0.7})
        if r["access_keys"] and rnd.random() < 0.1:
            r["access_keys"].pop()
    elif t == "storage_bucket":
        flip(r["encryption"], "enabled")
        flip(r["logging"], "enabled")
    elif t == "security_group":
        for x in r["ingress"]:
            if rnd.random() < 0.3:
                x["cidr"] = rnd.choice(["0.0.0.0/0", "::/0", "10.0.0.0/8", "0.0.0.0/1"])
            if rnd.random() < 0.3:
                a = rnd.choice([0, 20, 21, 22, 23, 80])
                x["from_port"], x["to_port"] = a, a + rnd.choice([0, 1, 2, 100])
        if rnd.random() < 0.1:
            r["ingress"] = []
    elif t == "kms_key":
        flip(r, "rotation_enabled")
        if rnd.random() < 0.5:
            r["last_rotated"] = some_time()
    elif t == "vm":
        flip(r, "public_ip")
        if rnd.random() < 0.3:
            r["subnet"]["tier"] = rnd.choice(["web", "app", "data", "Data", "data "])

with open(dst, "w") as f:
    f.write('{"snapshot_time": %d, "resources": [\n' % now)
    for i, r in enumerate(snap["resources"]):
        if i:
            f.write(",\n")
        f.write(json.dumps(r, separators=(",", ":")))
    f.write("\n]}\n")
