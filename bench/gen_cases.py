#!/usr/bin/env python3
"""Generate the single-file scaling cases of the dusk benchmark (see bench/README.md).

Each case is one file whose size grows with N, so that time per unit can be compared
between N and 4N (linear behaviour: 4x the work in at most 5x the time):

  findings-py N     a Python module with N classic `KubeCluster(...)` calls (2 findings each)
  findings-yaml N   a Kubernetes manifest stream of N hand-rolled dask-worker Deployments
                    (about 4 findings each: the command, flags, and the workload)
  notebook N        a notebook of N code cells, each importing and starting a classic
                    KubeCluster from a make_pod_spec pod (for `dusk fix`)
  big-yaml MB       a YAML stream of MB megabytes: ConfigMaps and Deployments of other
                    apps, one document in 50 a classic dask worker

Usage: gen_cases.py CASE N OUT_FILE.  Standard library only, deterministic.
"""

import json
import sys


def findings_py(n):
    out = ['"""Start many classic clusters (a generated scaling case)."""\n',
           "from dask_kubernetes import KubeCluster, make_pod_spec\n\n",
           'SPEC = make_pod_spec(image="daskdev/dask:2021.4.1", memory_limit="4G")\n\n']
    for i in range(n):
        out.append(f"cluster_{i} = KubeCluster(SPEC, name=\"job-{i}\", deploy_mode=\"remote\")\n")
    return "".join(out)


def worker_deployment(i):
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dask-worker-{i}\n  namespace: compute\n"
            f"  labels:\n    app.kubernetes.io/name: dask-worker-{i}\nspec:\n  replicas: {1 + i % 7}\n"
            f"  selector:\n    matchLabels:\n      app: dask-worker-{i}\n  template:\n    metadata:\n"
            f"      labels:\n        app: dask-worker-{i}\n    spec:\n      containers:\n"
            f"        - name: worker\n          image: daskdev/dask:2021.4.1\n"
            f"          args: [dask-worker, \"dask-scheduler-{i}:8786\", --nprocs, \"2\", --no-bokeh]\n")


def findings_yaml(n):
    return "---\n".join(worker_deployment(i) for i in range(n))


def notebook(n):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Many clusters\n"]}]
    for i in range(n):
        # The pod template is built in the cell: a template file the notebook loads would be
        # another file of the fix, which the benchmark does not write.
        src = (f"from dask_kubernetes import KubeCluster, make_pod_spec\n"
               f"cluster_{i} = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\", "
               f"memory_limit=\"{2 + i % 6}G\"), n_workers={1 + i % 9})\n")
        cells.append({"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [],
                      "source": src.splitlines(True)})
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def other_doc(i):
    data = "".join(f"  key-{i}-{j}: \"value {i * 31 + j}\"\n" for j in range(12))
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\n  labels:\n"
            f"    app.kubernetes.io/name: settings-{i}\ndata:\n{data}")


def big_yaml(mb):
    parts, n, i = [], 0, 0
    while n < mb * 1_000_000:
        d = worker_deployment(i) if i % 50 == 0 else other_doc(i)
        parts.append(d)
        n += len(d) + 4
        i += 1
    return "---\n".join(parts)


CASES = {"findings-py": findings_py, "findings-yaml": findings_yaml, "notebook": notebook, "big-yaml": big_yaml}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        sys.exit(__doc__)
    with open(sys.argv[3], "w") as f:
        f.write(CASES[sys.argv[1]](int(sys.argv[2])))
