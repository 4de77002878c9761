#!/usr/bin/env python3
"""Write a deterministic Terraform plan JSON (`terraform show -json` shape) of N resources.

usage: gen-tfplan.py N OUT.json [SEED]

A third each: aws_s3_bucket (80% declaring aws:kms or AES256, 5% an invalid algorithm, 15% nothing), aws_security_group (one ingress rule,
port 22 or 443 (or a 0-65535 range), from 10.0.0.0/8 or 0.0.0.0/0), aws_kms_key (70% with rotation; a few
asymmetric keys). Resources are spread over the root module, `count`-indexed and `for_each`-keyed
resources, and nested child modules, and also appear in `resource_changes` as a real plan has them.
"""
import json
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)


def s3(i):
    v = {"bucket": f"bucket-{i}", "force_destroy": False, "tags": None, "timeouts": None}
    c = rnd.random()
    if c < 0.80:
        alg = rnd.choice(["aws:kms", "AES256"])
    elif c < 0.85:
        alg = "AES128"  # not an S3 algorithm: the misconfiguration both tools must flag
    else:
        alg = None  # nothing declared: S3 encrypts with SSE-S3 by default
    v["server_side_encryption_configuration"] = [] if alg is None else [{"rule": [{
        "apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": alg}],
        "bucket_key_enabled": False}]}]
    return "aws_s3_bucket", v


def sg(i):
    cidr = rnd.choice(["10.0.0.0/8", "0.0.0.0/0"])
    port = rnd.choice([22, 443, 22, 443, None])
    fp, tp = (0, 65535) if port is None else (port, port)
    rule = {"cidr_blocks": [cidr], "description": "in", "from_port": fp, "ipv6_cidr_blocks": [],
            "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": False, "to_port": tp}
    return "aws_security_group", {"description": f"sg {i}", "ingress": [rule], "name": f"sg-{i}",
                                  "revoke_rules_on_delete": False, "tags": None, "timeouts": None}


def kms(i):
    spec = "SYMMETRIC_DEFAULT" if rnd.random() < 0.95 else "RSA_2048"
    return "aws_kms_key", {"bypass_policy_lockout_safety_check": False, "customer_master_key_spec": spec,
                           "deletion_window_in_days": 30, "description": f"key {i}",
                           "enable_key_rotation": rnd.random() < 0.7, "is_enabled": True,
                           "key_usage": "ENCRYPT_DECRYPT" if spec == "SYMMETRIC_DEFAULT" else "SIGN_VERIFY",
                           "tags": None}


KINDS = [s3, sg, kms]
root = {"resources": [], "child_modules": []}
changes = []
modules = {}


def module(path):
    """The module object for a module path like ['net', 'inner']; created on first use."""
    if not path:
        return root
    key = tuple(path)
    if key not in modules:
        parent = module(path[:-1])
        m = {"address": "module." + ".module.".join(path), "resources": [], "child_modules": []}
        parent["child_modules"].append(m)
        modules[key] = m
    return modules[key]


for i in range(n):
    ty, values = KINDS[i % 3](i)
    where = i % 10
    path = [] if where < 5 else (["net"] if where < 8 else ["net", "inner"])
    mod = module(path)
    prefix = (mod["address"] + ".") if path else ""
    style = (i // 3) % 3
    if style == 0:
        name, index, suffix = f"r{i}", None, ""
    elif style == 1:
        name, index, suffix = f"c{i // 100}", i % 100, f"[{i % 100}]"
    else:
        key = f"k{i}"
        name, index, suffix = f"e{i // 100}", key, f'["{key}"]'
    address = f"{prefix}{ty}.{name}{suffix}"
    res = {"address": address, "mode": "managed", "type": ty, "name": name,
           "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
           "values": values, "sensitive_values": {}}
    if index is not None:
        res["index"] = index
    mod["resources"].append(res)
    ch = {"address": address, "mode": "managed", "type": ty, "name": name,
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {"id": True, "arn": True},
                     "before_sensitive": False, "after_sensitive": {}}}
    if path:
        ch["module_address"] = mod["address"]
    if index is not None:
        ch["index"] = index
    changes.append(ch)

plan = {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": root},
        "resource_changes": changes, "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                                                       "root_module": {}},
        "timestamp": "2026-09-21T14:13:20Z"}
with open(out, "w") as f:
    json.dump(plan, f, separators=(",", ":"))
