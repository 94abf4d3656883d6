"""Deterministic oracle cases: make_pod_spec kwargs and their make_cluster_spec equivalent.

Standard library only: imported by gen_classic.py (classic venv) and gen_operator.py
(operator venv), so both sides see exactly the same cases.

Mapping make_pod_spec(**params) -> make_cluster_spec(**cluster_kwargs(params, name))
(dask-kubernetes 2024.4.2 -> 2026.3.0; follows shared/reference/dask-facts.md section 4.1):

  make_pod_spec param        make_cluster_spec kwarg
  -------------------        -----------------------
  (none)                     name="case-NN"
  (none)                     n_workers=1            (fixed; make_pod_spec has no count,
                                                     1 is also the CRD default of replicas)
  image                      image                  (same value)
  env (dict)                 env (same dict)        (omitted -> None -> `env: null`)
  threads_per_worker (def 1) worker_command=["dask-worker", "--nthreads", str(threads_per_worker)]
  memory_limit               worker_command += ["--memory-limit", str(memory_limit)]
                             resources["limits"]["memory"] = memory_limit
  resources (Dask string!)   worker_command += ["--resources", str(resources)]
                             (the *Dask* resource string, e.g. "GPU=2 MEM=10e9", NOT the k8s
                             resources kwarg of make_cluster_spec; worker_command is passed as a
                             list because make_cluster_spec splits a string on spaces, which
                             would break "GPU=2 MEM=10e9")
  cpu_request                resources["requests"]["cpu"]
  memory_request             resources["requests"]["memory"]
  cpu_limit                  resources["limits"]["cpu"]
  gpu_limit                  resources["limits"]["nvidia.com/gpu"]
                             k8s resources = {"limits": {...}, "requests": {...}} (both keys
                             present, either may be {}) when any of the five is set (same
                             truthiness test as make_pod_spec: `if value:`), else None -> null.
                             Values are passed through unchanged (ints stay ints).
  labels, annotations        no kwarg: belong in spec.worker.metadata.{labels,annotations}
  extra_container_config     no kwarg: merge into spec.worker.spec.containers[0]
  extra_pod_config           no kwarg: merge into spec.worker.spec
  fixed "$(DASK_SCHEDULER_ADDRESS)" positional arg, "--death-timeout 60",
  restartPolicy: Never, container name "dask-container"
                             not carried over (operator injects DASK_SCHEDULER_ADDRESS; Deployments
                             reject restartPolicy Never; operator names the container "worker")
  (none)                     scheduler_service_type, idle_timeout, jupyter: make_cluster_spec defaults

So cluster.json is the operator's own output for the inputs that have an operator kwarg; the
parts without one (labels, annotations, extra_*_config) are for the migrator to place, and the
tests compare those against pod.yaml.
"""

import random

N_CASES = 24
SEED = 20240402  # arbitrary, fixed: the cases must be the same on every machine

OPTIONAL = [
    "labels",
    "threads_per_worker",
    "env",
    "extra_container_config",
    "extra_pod_config",
    "resources",
    "memory_limit",
    "memory_request",
    "cpu_limit",
    "cpu_request",
    "gpu_limit",
    "annotations",
]

IMAGES = [
    "ghcr.io/dask/dask:latest",
    "ghcr.io/dask/dask:2024.4.2-py3.11",
    "daskdev/dask:2021.3.0",
    "registry.example.com/team/dask-worker:1.2.3",
    "nvcr.io/nvidia/rapidsai/base:24.04-cuda12.0-py3.11",
]
LABELS = [
    {"foo": "bar"},
    {"team": "data", "env": "prod"},
    {"app.kubernetes.io/name": "dask", "app.kubernetes.io/component": "worker"},
]
ANNOTATIONS = [
    {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
    {"prometheus.io/scrape": "true", "prometheus.io/port": "8787"},
]
ENVS = [
    {"EXTRA_PIP_PACKAGES": "s3fs gcsfs --upgrade"},
    {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"},
    {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
]
THREADS = [1, 2, 4, 8]
DASK_RESOURCES = ["GPU=1", "GPU=2 MEM=10e9", "foo=1"]
MEMORY_LIMITS = ["4G", "8Gi", "6GB", "512M", 4000000000]
MEMORY_REQUESTS = ["2G", "4Gi", "1Gi", 2000000000]
CPU_LIMITS = [1, 2, "1", "1.5", "500m", 0.5]
CPU_REQUESTS = ["250m", 1, "0.5", "2"]
GPU_LIMITS = [1, 2, "1"]
# Container extras; a mount's volume is added to the pod extras of the same case.
CONTAINER_EXTRAS = [
    {"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
    {"securityContext": {"runAsUser": 1000, "runAsNonRoot": True}},
    {"imagePullPolicy": "Always"},
    {"env": [{"name": "EXTRA_FROM_CONTAINER_CONFIG", "value": "1"}]},  # appended to env
    {"resources": {"limits": {"ephemeral-storage": "1Gi"}}},  # deep-merged into resources
    {"workingDir": "/work", "volumeMounts": [{"name": "scratch", "mountPath": "/scratch", "readOnly": False}]},
]
POD_EXTRAS = [
    {"nodeSelector": {"cloud.google.com/gke-nodepool": "dask-workers"}},
    {"tolerations": [{"key": "k8s.dask.org/dedicated", "operator": "Equal", "value": "worker", "effect": "NoSchedule"}]},
    {"imagePullSecrets": [{"name": "regcred"}]},
    {"serviceAccountName": "dask-worker"},
    {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "node-role", "operator": "In", "values": ["dask"]}]}
                    ]
                }
            }
        }
    },
    {"priorityClassName": "low", "terminationGracePeriodSeconds": 30},
]
VOLUMES = {
    "data": {"name": "data", "persistentVolumeClaim": {"claimName": "dask-data"}},
    "scratch": {"name": "scratch", "emptyDir": {}},
}

# Hand-written cases first (fixed edge cases), then seeded random ones.
HAND = [
    # 00, 01: nothing optional at all
    {"image": "ghcr.io/dask/dask:latest"},
    {"image": "daskdev/dask:2021.3.0"},
    # 02: the docstring example of make_pod_spec
    {"image": "ghcr.io/dask/dask:latest", "memory_limit": "4G", "memory_request": "4G"},
    # 03: the classic docs' worker-spec.yml, as make_pod_spec kwargs
    {
        "image": "ghcr.io/dask/dask:latest",
        "labels": {"foo": "bar"},
        "threads_per_worker": 2,
        "env": {"EXTRA_PIP_PACKAGES": "git+https://github.com/dask/distributed"},
        "memory_limit": "6G",
        "memory_request": "6G",
        "cpu_limit": 2,
        "cpu_request": 2,
    },
    # 04: everything at once
    {
        "image": "nvcr.io/nvidia/rapidsai/base:24.04-cuda12.0-py3.11",
        "labels": {"team": "ml"},
        "threads_per_worker": 4,
        "env": {"DASK_DISTRIBUTED__WORKER__DAEMON": "False", "CUDA_VISIBLE_DEVICES": "0"},
        "extra_container_config": {"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
        "extra_pod_config": {
            "volumes": [VOLUMES["data"]],
            "nodeSelector": {"gpu": "true"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "imagePullSecrets": [{"name": "ngc"}],
        },
        "resources": "GPU=1 MEM=16e9",
        "memory_limit": "16Gi",
        "memory_request": "16Gi",
        "cpu_limit": "4",
        "cpu_request": "4",
        "gpu_limit": 1,
        "annotations": {"prometheus.io/scrape": "true"},
    },
    # 05: only the k8s-facing extras, string quantities everywhere
    {
        "image": "registry.example.com/team/dask-worker:1.2.3",
        "extra_pod_config": {"restartPolicy": "OnFailure", "serviceAccountName": "dask"},
        "cpu_limit": "500m",
        "cpu_request": "250m",
    },
]


def _pick(rng, pool):
    return rng.choice(pool)


def _random_case(rng):
    p = {"image": _pick(rng, IMAGES)}
    if rng.random() < 0.1:  # some cases with none of the optional ones
        return p
    chance = 0.4
    if rng.random() < chance:
        p["labels"] = dict(_pick(rng, LABELS))
    if rng.random() < chance:
        p["threads_per_worker"] = _pick(rng, THREADS)
    if rng.random() < chance:
        p["env"] = dict(_pick(rng, ENVS))
    container = {}
    pod = {}
    if rng.random() < chance:
        container = dict(_pick(rng, CONTAINER_EXTRAS))
        mounts = [m["name"] for m in container.get("volumeMounts", [])]
        if mounts:
            pod["volumes"] = [VOLUMES[m] for m in mounts]
    if rng.random() < chance:
        for k, v in _pick(rng, POD_EXTRAS).items():
            pod[k] = v
    if container:
        p["extra_container_config"] = container
    if pod:
        p["extra_pod_config"] = pod
    if rng.random() < chance:
        p["resources"] = _pick(rng, DASK_RESOURCES)
    if rng.random() < chance:
        p["memory_limit"] = _pick(rng, MEMORY_LIMITS)
    if rng.random() < chance:
        p["memory_request"] = _pick(rng, MEMORY_REQUESTS)
    if rng.random() < chance:
        p["cpu_limit"] = _pick(rng, CPU_LIMITS)
    if rng.random() < chance:
        p["cpu_request"] = _pick(rng, CPU_REQUESTS)
    if rng.random() < chance:
        p["gpu_limit"] = _pick(rng, GPU_LIMITS)
    if rng.random() < chance:
        p["annotations"] = dict(_pick(rng, ANNOTATIONS))
    return p


def all_cases():
    """[(case_id, params)] with case_id "00".."23"; the same list on every machine."""
    rng = random.Random(SEED)
    params = [dict(c) for c in HAND]
    while len(params) < N_CASES:
        params.append(_random_case(rng))
    cases = [("%02d" % i, p) for i, p in enumerate(params)]
    # Coverage guard: every optional kwarg appears in at least two cases, and at least
    # two cases use none of them. A change to the pools or the seed must keep this.
    for key in OPTIONAL:
        n = sum(1 for _, p in cases if key in p)
        assert n >= 2, "optional kwarg %r appears in only %d case(s)" % (key, n)
    bare = sum(1 for _, p in cases if set(p) == {"image"})
    assert bare >= 2, "only %d case(s) without optional kwargs" % bare
    return cases


def case_name(case_id):
    return "case-" + case_id


def cluster_kwargs(params, name):
    """The make_cluster_spec kwargs equivalent to make_pod_spec(**params); see the module docstring."""
    command = ["dask-worker", "--nthreads", str(params.get("threads_per_worker", 1))]
    if params.get("memory_limit"):
        command += ["--memory-limit", str(params["memory_limit"])]
    if params.get("resources"):
        command += ["--resources", str(params["resources"])]

    # Same insertion order as make_pod_spec builds V1ResourceRequirements.
    requests, limits = {}, {}
    if params.get("cpu_request"):
        requests["cpu"] = params["cpu_request"]
    if params.get("memory_request"):
        requests["memory"] = params["memory_request"]
    if params.get("cpu_limit"):
        limits["cpu"] = params["cpu_limit"]
    if params.get("gpu_limit"):
        limits["nvidia.com/gpu"] = params["gpu_limit"]
    if params.get("memory_limit"):
        limits["memory"] = params["memory_limit"]
    k8s_resources = {"limits": limits, "requests": requests} if (limits or requests) else None

    return {
        "name": name,
        "image": params["image"],
        "n_workers": 1,
        "resources": k8s_resources,
        "env": dict(params["env"]) if "env" in params else None,
        "worker_command": command,
    }
