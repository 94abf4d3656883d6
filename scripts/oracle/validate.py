"""Validate Dask Operator resources against the CRDs shipped in dask-kubernetes.

Run inside .oracles/operator (needs PyYAML and jsonschema, both installed there):

    .oracles/operator/bin/python scripts/oracle/validate.py [options] KIND FILE [FILE...]

KIND is DaskCluster, DaskWorkerGroup, DaskJob or DaskAutoscaler (case-insensitive).
FILE is YAML or JSON, may hold several documents; "-" reads stdin. Only documents whose
`kind` is KIND are checked; the others are skipped.

The schema is `spec.versions[0].schema.openAPIV3Schema` of the CRD inside the installed
dask-kubernetes wheel (operator/deployment/helm/dask-kubernetes-operator/crds/), or of
DIR/<Kind>.yaml with --crds DIR. It is checked the way the API server would, as far as
JSON Schema can say it:
  * null values of fields that are not `nullable: true` are pruned first (the API server
    drops them before defaulting), and reported as notes;
  * `nullable: true` allows null; `x-kubernetes-int-or-string` allows int or string;
    `format` is not checked (so `type: string, format: int-or-string` needs a string);
  * fields the schema does not know are pruned by the API server (no
    x-kubernetes-preserve-unknown-fields here): a warning, an error with --strict;
  * apiVersion must be kubernetes.dask.org/v1; metadata.name (or generateName) must be a
    DNS-1123 subdomain; label and annotation values must be strings; a DaskCluster's or
    DaskJob's name must also pass the operator's own check (RFC 1123 label, <= 53 chars),
    which the controller enforces by setting status.phase Error;
  * a restartPolicy other than Always in a pod spec the operator runs as a Deployment
    (scheduler and workers; not DaskJob's job) is an error: Kubernetes rejects it.

Exit status: 0 all documents valid; 1 errors, or no document of KIND found (unless
--allow-empty); 2 bad usage or unreadable file. --json prints one JSON object instead of
text: {"ok": bool, "documents": N, "errors": [...], "warnings": [...], "notes": [...]},
each entry {"file", "document" (0-based index in the file), "name", "path", "message"}.
"""

import argparse
import copy
import importlib.util
import json
import os
import re
import sys

import jsonschema
import yaml

KINDS = {
    "daskcluster": ("DaskCluster", "daskcluster.yaml"),
    "daskworkergroup": ("DaskWorkerGroup", "daskworkergroup.yaml"),
    "daskjob": ("DaskJob", "daskjob.yaml"),
    "daskautoscaler": ("DaskAutoscaler", "daskautoscaler.yaml"),
}
API_VERSION = "kubernetes.dask.org/v1"
CRD_DIR_IN_WHEEL = ("operator", "deployment", "helm", "dask-kubernetes-operator", "crds")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# dask_kubernetes/constants.py VALID_CLUSTER_NAME / MAX_CLUSTER_NAME_LEN (63 - len("-scheduler"))
OPERATOR_CLUSTER_NAME = re.compile(r"^(?=.{,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def wheel_crd_dir():
    """The CRD folder of the installed dask-kubernetes, found without importing it."""
    spec = importlib.util.find_spec("dask_kubernetes")
    if spec is None or not spec.submodule_search_locations:
        usage_error("dask_kubernetes is not installed in this Python (%s)" % sys.executable)
    return os.path.join(list(spec.submodule_search_locations)[0], *CRD_DIR_IN_WHEEL)


def usage_error(msg):
    print("validate.py: " + msg, file=sys.stderr)
    raise SystemExit(2)


def kind_info(kind):
    info = KINDS.get(kind.lower())
    if info is None:
        usage_error("unknown kind %r (one of %s)" % (kind, ", ".join(k for k, _ in KINDS.values())))
    return info


def load_crd(kind, crd_dir=None):
    """(crd document, openAPIV3Schema) for KIND."""
    kind_name, wheel_file = kind_info(kind)
    if crd_dir:
        path = os.path.join(crd_dir, kind_name + ".yaml")
    else:
        path = os.path.join(wheel_crd_dir(), wheel_file)
    try:
        with open(path, encoding="utf-8") as f:
            crd = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        usage_error("cannot read CRD %s: %s" % (path, e))
    if not isinstance(crd, dict) or crd.get("spec", {}).get("names", {}).get("kind") != kind_name:
        usage_error("%s is not the CRD of %s" % (path, kind_name))
    return crd, crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _path(parts):
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif re.match(r"^[A-Za-z0-9_-]+$", str(p)):
            out += "." + str(p)
        else:
            out += "[%s]" % json.dumps(str(p))
    return out[1:] if out.startswith(".") else (out or "<root>")


def prune(instance, schema, parts, notes, unknown, top=False):
    """Drop non-nullable nulls (as the API server does) and collect unknown fields, in place."""
    if isinstance(instance, dict) and isinstance(schema, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields")
        for key in list(instance):
            sub = None
            if props is not None and key in props:
                sub = props[key]
            elif isinstance(addl, dict):
                sub = addl
            elif top and key in ("apiVersion", "kind", "metadata"):
                continue  # ObjectMeta and type fields are not part of the CRD schema
            elif not preserve and addl is not True and (props is not None or schema.get("type") == "object"):
                unknown.append(parts + [key])
                continue
            if sub is None:
                continue
            if instance[key] is None and not sub.get("nullable"):
                notes.append((parts + [key], "null value pruned (field is not nullable)"))
                del instance[key]
                continue
            prune(instance[key], sub, parts + [key], notes, unknown)
    elif isinstance(instance, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            prune(item, schema["items"], parts + [i], notes, unknown)


def _type(validator, types, instance, schema):
    if instance is None and schema.get("nullable"):
        return
    if schema.get("x-kubernetes-int-or-string") and not isinstance(instance, bool) and isinstance(instance, (int, str)):
        return
    yield from jsonschema.Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


OpenAPIValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {"type": _type})


def check_metadata(doc, kind_name):
    errors = []
    if doc.get("apiVersion") != API_VERSION:
        errors.append((["apiVersion"], "apiVersion is %r, expected %r" % (doc.get("apiVersion"), API_VERSION)))
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        errors.append((["metadata"], "metadata missing or not a mapping"))
        return errors
    name = meta.get("name")
    if name is None and meta.get("generateName") is None:
        errors.append((["metadata", "name"], "metadata.name (or generateName) is required"))
    if name is not None:
        if not isinstance(name, str) or len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
            errors.append((["metadata", "name"], "%r is not a DNS-1123 subdomain" % (name,)))
        elif kind_name in ("DaskCluster", "DaskJob") and not OPERATOR_CLUSTER_NAME.match(name):
            errors.append(
                (["metadata", "name"], "%r is rejected by the operator (RFC 1123 label, at most 53 characters)" % name)
            )
    for field in ("labels", "annotations"):
        m = meta.get(field)
        if m is None:
            continue
        if not isinstance(m, dict):
            errors.append((["metadata", field], "must be a mapping of strings"))
            continue
        for k, v in m.items():
            if not isinstance(v, str):
                errors.append((["metadata", field, str(k)], "value %r must be a string" % (v,)))
    return errors


# Pod specs the operator runs in a Deployment, by kind.
DEPLOYMENT_POD_SPECS = {
    "DaskCluster": [["spec", "worker", "spec"], ["spec", "scheduler", "spec"]],
    "DaskWorkerGroup": [["spec", "worker", "spec"]],
    "DaskJob": [["spec", "cluster", "spec", "worker", "spec"], ["spec", "cluster", "spec", "scheduler", "spec"]],
    "DaskAutoscaler": [],
}


def check_operator(doc, kind_name):
    """Rules outside the CRD schema that still make the resource fail in a cluster."""
    errors = []
    for parts in DEPLOYMENT_POD_SPECS[kind_name]:
        node = doc
        for p in parts:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get("restartPolicy") not in (None, "Always"):
            errors.append(
                (
                    parts + ["restartPolicy"],
                    "restartPolicy %r is rejected: the operator runs this pod spec in a Deployment, "
                    "which supports only Always" % (node["restartPolicy"],),
                )
            )
    return errors


def validate_doc(doc, kind_name, schema, strict=False):
    """(errors, warnings, notes) for one document; each a list of (path string, message)."""
    doc = copy.deepcopy(doc)
    notes, unknown = [], []
    prune(doc, schema, [], notes, unknown, top=True)
    errors = [(_path(p), m) for p, m in check_metadata(doc, kind_name) + check_operator(doc, kind_name)]
    validator = OpenAPIValidator(schema)
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(x) for x in e.absolute_path]):
        errors.append((_path(list(err.absolute_path)), err.message))
    unknown_msgs = [(_path(p), "unknown field (the API server would prune it)") for p in unknown]
    warnings = []
    if strict:
        errors.extend(unknown_msgs)
    else:
        warnings.extend(unknown_msgs)
    return errors, warnings, [(_path(p), m) for p, m in notes]


def read_docs(path):
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return [d for d in yaml.safe_load_all(text) if d is not None]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Validate Dask Operator resources against the dask-kubernetes CRDs.")
    ap.add_argument("kind")
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--strict", action="store_true", help="unknown (pruned) fields are errors")
    ap.add_argument("--allow-empty", action="store_true", help="no document of KIND is not an error")
    ap.add_argument("--crds", metavar="DIR", help="read DIR/<Kind>.yaml instead of the installed wheel's CRD")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    kind_name, _ = kind_info(args.kind)
    _, schema = load_crd(kind_name, args.crds)
    result = {"ok": True, "documents": 0, "errors": [], "warnings": [], "notes": []}
    for path in args.files:
        try:
            docs = read_docs(path)
        except (OSError, yaml.YAMLError) as e:
            print("validate.py: cannot read %s: %s" % (path, e), file=sys.stderr)
            return 2
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict) or doc.get("kind") != kind_name:
                continue
            result["documents"] += 1
            name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
            errs, warns, notes = validate_doc(doc, kind_name, schema, strict=args.strict)
            for bucket, items in (("errors", errs), ("warnings", warns), ("notes", notes)):
                for p, m in items:
                    result[bucket].append({"file": path, "document": i, "name": name, "path": p, "message": m})
    if result["errors"]:
        result["ok"] = False
    if result["documents"] == 0 and not args.allow_empty:
        result["ok"] = False
        result["errors"].append(
            {"file": ",".join(args.files), "document": None, "name": None, "path": "", "message": "no %s document found" % kind_name}
        )

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for bucket, label in (("errors", "error"), ("warnings", "warning"), ("notes", "note")):
            for e in result[bucket]:
                where = e["file"] if e["document"] is None else "%s[%d] %s/%s" % (e["file"], e["document"], kind_name, e["name"])
                print("%s: %s: %s: %s" % (label, where, e["path"], e["message"]))
        print(
            "%s: %d %s document(s), %d error(s), %d warning(s)"
            % ("ok" if result["ok"] else "FAILED", result["documents"], kind_name, len(result["errors"]), len(result["warnings"]))
        )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
