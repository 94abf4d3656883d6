"""Operator oracle: run inside .oracles/operator (dask-kubernetes 2026.3.0).

usage: python gen_operator.py OUT_DIR CLASSIC_VERSION

Writes
  OUT/crds/<Kind>.yaml          the CRD as shipped in the wheel (byte for byte), for
                                DaskCluster, DaskWorkerGroup, DaskJob, DaskAutoscaler
  OUT/crds/<Kind>.schema.json   its spec.versions[0].schema.openAPIV3Schema
  OUT/cases/NN/cluster_params.json   the make_cluster_spec kwargs (cases.cluster_kwargs)
  OUT/cases/NN/cluster.json          what the real make_cluster_spec(**kwargs) returns
  OUT/cases/NN/cluster.validation.json   validate.py's verdict on cluster.json
  OUT/cases/index.json          one entry per case
  OUT/versions.json             the dask-kubernetes versions of both venvs
"""

import json
import os
import shutil
import sys
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402
import validate  # noqa: E402
from dask_kubernetes.operator import make_cluster_spec  # noqa: E402


def write_json(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def main(out, classic_version):
    crd_out = os.path.join(out, "crds")
    os.makedirs(crd_out, exist_ok=True)
    src_dir = validate.wheel_crd_dir()
    schemas = {}
    for kind_name, wheel_file in validate.KINDS.values():
        shutil.copyfile(os.path.join(src_dir, wheel_file), os.path.join(crd_out, kind_name + ".yaml"))
        crd, schema = validate.load_crd(kind_name, crd_out)
        assert crd["spec"]["group"] == "kubernetes.dask.org" and crd["spec"]["versions"][0]["name"] == "v1"
        write_json(schema, os.path.join(crd_out, kind_name + ".schema.json"))
        schemas[kind_name] = schema

    index = []
    for case_id, params in cases.all_cases():
        d = os.path.join(out, "cases", case_id)
        os.makedirs(d, exist_ok=True)
        kwargs = cases.cluster_kwargs(params, cases.case_name(case_id))
        write_json(kwargs, os.path.join(d, "cluster_params.json"))
        spec = make_cluster_spec(**kwargs)
        write_json(spec, os.path.join(d, "cluster.json"))
        errors, warnings, notes = validate.validate_doc(spec, "DaskCluster", schemas["DaskCluster"], strict=True)
        verdict = {
            "valid": not errors,
            "errors": [{"path": p, "message": m} for p, m in errors],
            "warnings": [{"path": p, "message": m} for p, m in warnings],
            "notes": [{"path": p, "message": m} for p, m in notes],
        }
        write_json(verdict, os.path.join(d, "cluster.validation.json"))
        index.append(
            {
                "id": case_id,
                "name": cases.case_name(case_id),
                "params": sorted(params),
                "cluster_valid": not errors,
            }
        )
    write_json(index, os.path.join(out, "cases", "index.json"))
    write_json(
        {
            "operator": {"dask-kubernetes": metadata.version("dask-kubernetes"), "crd_source": "/".join(("dask_kubernetes",) + validate.CRD_DIR_IN_WHEEL)},
            "classic": {"dask-kubernetes": classic_version},
            "cases": len(index),
            "seed": cases.SEED,
        },
        os.path.join(out, "versions.json"),
    )
    valid = sum(1 for c in index if c["cluster_valid"])
    print("operator: %d CRDs, %d cluster specs (%d valid against the DaskCluster CRD)" % (len(schemas), len(index), valid))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_operator.py OUT_DIR CLASSIC_VERSION")
    main(sys.argv[1], sys.argv[2])
