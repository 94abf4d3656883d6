"""Classic oracle: run inside .oracles/classic (dask-kubernetes 2024.4.2).

usage: python gen_classic.py OUT_CASES_DIR

For every case of cases.py writes OUT/NN/params.json (the make_pod_spec kwargs) and
OUT/NN/pod.yaml (what the real make_pod_spec(**params) returns, serialised with
kubernetes.client.ApiClient().sanitize_for_serialization, plus apiVersion: v1 / kind: Pod).
"""

import copy
import json
import os
import sys

import yaml
from kubernetes import client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402
from dask_kubernetes import make_pod_spec as top_level_make_pod_spec  # noqa: E402
from dask_kubernetes.classic import make_pod_spec  # noqa: E402


def dump_yaml(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(obj, f, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


def main(out):
    assert make_pod_spec is top_level_make_pod_spec
    api = client.ApiClient()
    for case_id, params in cases.all_cases():
        d = os.path.join(out, case_id)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "params.json"), "w", encoding="utf-8") as f:
            json.dump(params, f, indent=2)
            f.write("\n")
        # make_pod_spec stores (and merges into) the dicts it is given: hand it a copy.
        pod = make_pod_spec(**copy.deepcopy(params))
        body = api.sanitize_for_serialization(pod)
        doc = {"apiVersion": "v1", "kind": "Pod"}
        doc.update(body)
        dump_yaml(doc, os.path.join(d, "pod.yaml"))
    print("classic: %d pod templates" % len(cases.all_cases()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
