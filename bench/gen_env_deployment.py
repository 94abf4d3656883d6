#!/usr/bin/env python3
"""Write one Deployment whose worker container sets N `DASK_KUBERNETES__…` variables.

usage: bench/gen_env_deployment.py OUT.yaml [--vars 8000]

The variables cycle through classic dask config keys the built-in rules flag (and fix), so
every one is a finding with a fix: the case where `dusk check` used to go quadratic in the
number of findings (issue #8). Standard library only; deterministic.
"""

import argparse

KEYS = [
    ("DASK_KUBERNETES__DEPLOY_MODE", "local"),
    ("DASK_KUBERNETES__HOST", "0.0.0.0"),
    ("DASK_KUBERNETES__PORT", "8786"),
    ("DASK_KUBERNETES__COUNT__MAX", "40"),
    ("DASK_KUBERNETES__IDLE_TIMEOUT", "5 minutes"),
    ("DASK_KUBERNETES__WORKER_NAME", "dask-{user}-{uuid}"),
    ("DASK_KUBERNETES__SCHEDULER_SERVICE_WAIT_TIMEOUT", "240"),
    ("DASK_KUBERNETES__INTERFACE", "eth0"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--vars", type=int, default=8000)
    args = parser.parse_args()
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: jupyter",
        "spec:",
        "  replicas: 1",
        "  selector:",
        "    matchLabels: {app: jupyter}",
        "  template:",
        "    metadata:",
        "      labels: {app: jupyter}",
        "    spec:",
        "      containers:",
        "        - name: notebook",
        "          image: ghcr.io/dask/dask-notebook:2024.1.0",
        "          env:",
    ]
    for i in range(args.vars):
        name, value = KEYS[i % len(KEYS)]
        lines.append(f"            - name: {name}")
        lines.append(f'              value: "{value}"')
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
