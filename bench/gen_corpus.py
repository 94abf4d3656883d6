#!/usr/bin/env python3
"""Generate a monorepo-like corpus for benchmarking `dusk check` against ripgrep.

The tree looks like a company monorepo: Python services and libraries, TypeScript
front-ends, Kubernetes manifests, CI configs, Helm values of unrelated charts, JSON
fixtures, Markdown docs, notebooks, a few large data files and binaries, and a
`.gitignore`d `build/` directory full of generated files.  About 1% of the files use
classic Dask-on-Kubernetes in the ways real repositories do (classic `KubeCluster`,
`make_pod_spec`, `KubeCluster.from_yaml`, worker pod templates, dask config with a
`kubernetes:` section, hand-rolled scheduler/worker Deployments, dask Helm chart
values, notebooks, Argo workflows).  Look-alikes that must NOT match are mixed in
(operator `KubeCluster`, `DaskCluster` resources, plain dask, other tools'
`kubernetes:` keys, dask-gateway, chart `templates/`).

All content is synthetic and generated here.  Output is deterministic for a given
(seed, count, size).  Python standard library only.

Two profiles:
  monorepo   (default) about 1% of files mention Dask at all; the filler never does.
  dask-shop  a Dask user's repository: two thirds of the files are Python and about half
             of those `import dask` (dataframes, delayed, `dask.distributed` clients,
             `dask.config.set` of distributed keys), a third are Kubernetes manifests
             (every one with `app.kubernetes.io` labels, some running Dask images with
             `DASK_…` variables), notebooks use dask, and about 5% of the files touch
             classic Dask-on-Kubernetes.

Usage:
    gen_corpus.py OUT_DIR [--files 20000] [--size-mb 200] [--seed 42]
                  [--profile monorepo|dask-shop] [--relevant-fraction F] [--manifest PATH]

OUT_DIR must not exist or be empty.  A summary is printed as JSON on stdout; with
--manifest, a JSON list of every planted file (relevant / lookalike / context /
ignored) is written there (keep it outside OUT_DIR so it is not scanned).
"""

import argparse
import base64
import json
import math
import os
import random
import sys

MB = 1_000_000

# ---------------------------------------------------------------------------
# Vocabulary.  Deliberately free of the strings classic-dask rules look for
# ("dask", "KubeCluster", "worker-template", ...), so filler never matches.
# ---------------------------------------------------------------------------

NOUNS = """account order invoice user session ledger metric report pipeline batch feature
model score event stream cache token payment customer inventory shipment route price quote
ticket audit policy schema record snapshot window bucket partition shard replica queue topic
job task sensor reading forecast signal graph node edge label vector embedding index search
query result setting profile tenant region zone catalog product review rating coupon cart
checkout refund warehouse carrier parcel driver vehicle trip fare station device firmware
alert incident oncall runbook budget quota plan subscription license contract vendor supplier
asset document page section chapter comment thread message channel webhook retry backoff
lease lock mutex epoch offset cursor checkpoint manifest artifact release build image""".split()

VERBS = """get set load save fetch build parse render compute update delete create merge
split filter validate normalize encode decode resolve sync flush reset apply enqueue
dequeue publish consume schedule dispatch reconcile aggregate summarize export import
rotate refresh expire archive restore hydrate serialize migrate score rank""".split()

ADJ = """active pending stale fresh daily hourly weekly raw clean partial full remote local
primary secondary cached external internal legacy default batched streaming""".split()

WORDS = NOUNS + VERBS + ADJ + """the a of to and in for with on by from as is are be this that
when we it not or all each should must can will before after during because which while
service team owner data request response latency throughput error budget rollout canary
deploy config environment staging production traffic""".split()

TEAMS = """payments search ads growth risk ledger logistics identity notifications pricing
catalog analytics forecasting fraud support billing inventory mobile platform infra""".split()

COMPANY = "acme"
PY_STD = ["os", "sys", "json", "time", "logging", "re", "math", "uuid", "hashlib", "typing",
          "datetime", "functools", "itertools", "collections", "dataclasses", "pathlib",
          "contextlib", "enum", "asyncio", "decimal", "statistics", "random", "textwrap"]
PY_3P = ["requests", "numpy as np", "pandas as pd", "sqlalchemy as sa", "boto3", "redis",
         "pydantic", "fastapi", "httpx", "click", "yaml", "attr", "structlog", "tenacity",
         "pyarrow as pa", "scipy.stats as st", "jinja2", "celery", "kafka"]
IMAGES = ["nginx:1.25.3", "redis:7.2-alpine", "postgres:15.4", "python:3.11-slim",
          "grafana/grafana:10.2.0", "prom/prometheus:v2.48.0", "busybox:1.36",
          "envoyproxy/envoy:v1.28.0", "bitnami/kafka:3.6", "memcached:1.6"]

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def ident(r, n=2):
    return "_".join(r.choice(NOUNS) for _ in range(n))


def camel(r, n=2):
    parts = [r.choice(VERBS)] + [r.choice(NOUNS) for _ in range(n - 1)]
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def pascal(r, n=2):
    return "".join(r.choice(NOUNS).capitalize() for _ in range(n))


def sentence(r, lo=6, hi=18):
    s = " ".join(r.choice(WORDS) for _ in range(r.randint(lo, hi)))
    return s[0].upper() + s[1:] + "."


def paragraph(r, lo=2, hi=6):
    return " ".join(sentence(r) for _ in range(r.randint(lo, hi)))


def kname(r):
    return f"{r.choice(TEAMS)}-{r.choice(NOUNS)}"


# ---------------------------------------------------------------------------
# Snippet pools (built once; filler files sample from them, which keeps
# generation of ~200 MB fast while the text still looks like code).
# ---------------------------------------------------------------------------


def py_function(r):
    name = f"{r.choice(VERBS)}_{ident(r, r.randint(1, 2))}"
    args = [ident(r, 1) for _ in range(r.randint(0, 4))]
    args = list(dict.fromkeys(args))
    lines = [f"def {name}({', '.join(args)}):",
             f'    """{sentence(r, 4, 12)}"""']
    v = ident(r, 1)
    lines.append(f"    {v} = {{}}")
    for _ in range(r.randint(2, 10)):
        k = r.randrange(7)
        a = r.choice(args) if args else v
        w = ident(r, 1)
        if k == 0:
            lines.append(f'    {w} = {a}.get("{r.choice(NOUNS)}", {r.randint(0, 500)})')
        elif k == 1:
            lines += [f"    if {a} is None:",
                      f'        raise ValueError("{r.choice(NOUNS)} is required")']
        elif k == 2:
            lines += [f"    for item in {a} or []:",
                      f'        {v}[item.{r.choice(NOUNS)}_id] = item.{r.choice(NOUNS)}']
        elif k == 3:
            lines.append(f'    logger.info("{r.choice(VERBS)} %s {r.choice(NOUNS)}s", len({v}))')
        elif k == 4:
            lines += [f"    try:",
                      f"        {w} = _{r.choice(VERBS)}_{r.choice(NOUNS)}({a})",
                      f"    except (KeyError, TimeoutError) as exc:",
                      f'        logger.warning("{r.choice(NOUNS)} failed: %s", exc)',
                      f"        {w} = None"]
        elif k == 5:
            lines.append(f"    {v}[\"{r.choice(NOUNS)}\"] = [x * {r.randint(2, 9)} for x in range({r.randint(3, 99)})]")
        else:
            lines.append(f"    # {sentence(r, 5, 14)}")
    lines.append(f"    return {v}")
    return "\n".join(lines) + "\n\n\n"


def py_class(r):
    name = pascal(r, r.randint(2, 3))
    fields = list(dict.fromkeys(ident(r, 1) for _ in range(r.randint(2, 7))))
    out = ["@dataclasses.dataclass", f"class {name}:", f'    """{sentence(r)}"""', ""]
    for f in fields:
        t = r.choice(["int", "str", "float", "bool", "list[str]", "dict[str, int]", "Optional[str]"])
        out.append(f"    {f}: {t} = None")
    for _ in range(r.randint(1, 3)):
        m = f"{r.choice(VERBS)}_{r.choice(NOUNS)}"
        f = r.choice(fields)
        out += ["", f"    def {m}(self, value):",
                f'        """{sentence(r, 4, 10)}"""',
                f"        if not self.{f}:",
                f"            return value",
                f"        return self.{f} + value * {r.randint(1, 100)}"]
    return "\n".join(out) + "\n\n\n"


def py_header(r, pkg):
    imps = sorted(r.sample(PY_STD, r.randint(2, 6)))
    out = [f'"""{sentence(r, 5, 12)}"""', ""]
    out += [f"import {m}" for m in imps]
    out.append("from typing import Any, Optional")
    out.append("")
    for m in r.sample(PY_3P, r.randint(0, 3)):
        out.append(f"import {m}")
    for _ in range(r.randint(0, 3)):
        out.append(f"from {COMPANY}.{r.choice(NOUNS)}.{r.choice(NOUNS)} import {pascal(r)}")
    out += ["", f"logger = logging.getLogger(__name__)", "",
            f'{r.choice(NOUNS).upper()}_TTL = {r.randint(10, 3600)}', "", ""]
    return "\n".join(out)


def ts_function(r):
    name = camel(r, r.randint(2, 3))
    typ = pascal(r, 2)
    lines = [f"export async function {name}(input: {typ}, opts?: RequestOptions): Promise<{pascal(r)}> {{"]
    for _ in range(r.randint(2, 9)):
        k = r.randrange(5)
        if k == 0:
            lines.append(f"  const {camel(r)} = input.{camel(r)} ?? {r.randint(0, 99)};")
        elif k == 1:
            lines += [f"  if (!input.{r.choice(NOUNS)}) {{",
                      f"    throw new Error('{r.choice(NOUNS)} missing');", "  }"]
        elif k == 2:
            lines.append(f"  const res = await client.get(`/api/v{r.randint(1, 3)}/{r.choice(NOUNS)}s/${{input.id}}`, opts);")
        elif k == 3:
            lines.append(f"  // {sentence(r, 4, 12)}")
        else:
            lines.append(f"  metrics.increment('{r.choice(NOUNS)}.{r.choice(VERBS)}');")
    lines += [f"  return {{ ...input, {r.choice(NOUNS)}: true }} as unknown as {pascal(r)};", "}", "", ""]
    return "\n".join(lines)


def md_block(r):
    k = r.randrange(6)
    if k == 0:
        return f"## {sentence(r, 2, 5)[:-1]}\n\n{paragraph(r)}\n\n"
    if k == 1:
        return "\n".join(f"- {sentence(r, 4, 12)}" for _ in range(r.randint(3, 8))) + "\n\n"
    if k == 2:
        cmd = r.choice(["make test", "kubectl get pods -n " + r.choice(TEAMS),
                        "python -m pytest -q", "npm run build", "helm upgrade --install " + kname(r)])
        return f"```bash\n{cmd}\n```\n\n"
    if k == 3:
        rows = "\n".join(f"| {r.choice(NOUNS)} | {r.randint(1, 999)} | {r.choice(ADJ)} |"
                         for _ in range(r.randint(3, 9)))
        return f"| name | value | state |\n| --- | --- | --- |\n{rows}\n\n"
    return paragraph(r, 3, 8) + "\n\n"


def k8s_doc(r, ns):
    app = kname(r)
    kind = r.choice(["Deployment", "Deployment", "Service", "ConfigMap", "Ingress", "CronJob",
                     "HorizontalPodAutoscaler", "ServiceAccount"])
    meta = f"metadata:\n  name: {app}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: {app}\n    app.kubernetes.io/part-of: {r.choice(TEAMS)}\n"
    if kind == "Deployment":
        img = r.choice(IMAGES + [f"registry.{COMPANY}.io/{app}:{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 9)}"])
        env = "".join(f"            - name: {r.choice(NOUNS).upper()}_{r.choice(NOUNS).upper()}\n              value: \"{r.randint(0, 9999)}\"\n"
                      for _ in range(r.randint(1, 6)))
        return (f"apiVersion: apps/v1\nkind: Deployment\n{meta}spec:\n  replicas: {r.randint(1, 12)}\n"
                f"  selector:\n    matchLabels:\n      app.kubernetes.io/name: {app}\n  template:\n"
                f"    metadata:\n      labels:\n        app.kubernetes.io/name: {app}\n    spec:\n"
                f"      containers:\n        - name: {app.split('-')[1]}\n          image: {img}\n"
                f"          args: [\"--port\", \"{r.choice([8080, 9000, 3000])}\", \"--log-level\", \"{r.choice(['info', 'debug', 'warn'])}\"]\n"
                f"          env:\n{env}          resources:\n            requests:\n              cpu: {r.choice(['100m', '250m', '500m', '1'])}\n"
                f"              memory: {r.choice(['128Mi', '256Mi', '1Gi', '4Gi'])}\n"
                f"          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n")
    if kind == "Service":
        return (f"apiVersion: v1\nkind: Service\n{meta}spec:\n  type: ClusterIP\n  selector:\n"
                f"    app.kubernetes.io/name: {app}\n  ports:\n    - name: http\n      port: 80\n      targetPort: {r.choice([8080, 9000, 3000])}\n")
    if kind == "ConfigMap":
        data = "".join(f"  {r.choice(NOUNS)}.{r.choice(NOUNS)}: \"{r.randint(0, 10**6)}\"\n" for _ in range(r.randint(2, 12)))
        return f"apiVersion: v1\nkind: ConfigMap\n{meta}data:\n{data}"
    if kind == "Ingress":
        return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\n{meta}spec:\n  ingressClassName: nginx\n  rules:\n"
                f"    - host: {app}.{COMPANY}.internal\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n"
                f"            backend:\n              service:\n                name: {app}\n                port:\n                  number: 80\n")
    if kind == "CronJob":
        return (f"apiVersion: batch/v1\nkind: CronJob\n{meta}spec:\n  schedule: \"{r.randint(0, 59)} {r.randint(0, 23)} * * *\"\n"
                f"  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n"
                f"          containers:\n            - name: job\n              image: registry.{COMPANY}.io/{app}-job:latest\n"
                f"              command: [\"python\", \"-m\", \"{COMPANY}.{r.choice(NOUNS)}.jobs.{r.choice(VERBS)}\"]\n")
    if kind == "HorizontalPodAutoscaler":
        return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n{meta}spec:\n  scaleTargetRef:\n"
                f"    apiVersion: apps/v1\n    kind: Deployment\n    name: {app}\n  minReplicas: {r.randint(1, 3)}\n"
                f"  maxReplicas: {r.randint(4, 40)}\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
                f"        target:\n          type: Utilization\n          averageUtilization: {r.randint(50, 90)}\n")
    return f"apiVersion: v1\nkind: ServiceAccount\n{meta}"


def ci_config(r):
    jobs = []
    for _ in range(r.randint(3, 10)):
        j = f"{r.choice(VERBS)}-{r.choice(NOUNS)}"
        jobs.append(f"{j}:\n  stage: {r.choice(['lint', 'test', 'build', 'deploy'])}\n  image: {r.choice(IMAGES)}\n"
                    f"  script:\n    - {r.choice(['make test', 'pytest -q', 'npm ci && npm test', 'make image'])}\n"
                    f"    - echo \"{sentence(r, 3, 6)}\"\n  rules:\n    - changes:\n        - services/{r.choice(TEAMS)}/**/*\n")
    return "stages: [lint, test, build, deploy]\n\n" + "\n".join(jobs)


def helm_values_other(r, chart):
    return (f"# Values for the {chart} chart ({sentence(r, 3, 8)})\nreplicaCount: {r.randint(1, 5)}\n"
            f"image:\n  repository: {r.choice(IMAGES).split(':')[0]}\n  tag: \"{r.randint(1, 9)}.{r.randint(0, 20)}\"\n  pullPolicy: IfNotPresent\n"
            f"service:\n  type: ClusterIP\n  port: {r.choice([80, 6379, 5432, 9090])}\n"
            f"resources:\n  limits:\n    cpu: {r.randint(1, 4)}\n    memory: {r.choice(['512Mi', '2Gi', '8Gi'])}\n"
            f"persistence:\n  enabled: {r.choice(['true', 'false'])}\n  size: {r.randint(1, 500)}Gi\n"
            f"nodeSelector: {{}}\ntolerations: []\naffinity: {{}}\n"
            f"podAnnotations:\n  prometheus.io/scrape: \"true\"\n")


def csv_row(r):
    return (f"{r.randint(10**8, 10**9)},{r.choice(NOUNS)},{r.choice(TEAMS)},{r.random() * 1000:.4f},"
            f"{r.randint(0, 1)},2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z,"
            f"{r.choice(ADJ)}\n")


def jsonl_row(r):
    return json.dumps({"id": r.randint(1, 10**9), "type": f"{r.choice(NOUNS)}.{r.choice(VERBS)}",
                       "team": r.choice(TEAMS), "value": round(r.random() * 100, 3),
                       "tags": r.sample(ADJ, 3), "note": sentence(r, 3, 9)}) + "\n"


def log_row(r):
    return (f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d},"
            f"{r.randint(0, 999):03d} {r.choice(['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'])} "
            f"[{r.choice(TEAMS)}.{r.choice(NOUNS)}] {sentence(r, 4, 14)} id={r.randint(1, 10**6)}\n")


# ---------------------------------------------------------------------------
# Dask-shop filler: everyday (non-Kubernetes) dask usage.  Mentions `dask`,
# `dask.distributed`, `dask.config` and `DASK_…` variables freely, but never the
# classic constructs the rules look for (dask_kubernetes, KubeCluster, dask-worker,
# `kubernetes:` config sections).
# ---------------------------------------------------------------------------

DASK_CONFIG_KEYS = ["distributed.worker.memory.target", "distributed.worker.memory.spill",
                    "distributed.comm.timeouts.connect", "dataframe.shuffle.method", "array.chunk-size",
                    "distributed.scheduler.work-stealing", "optimization.fuse.active"]


def dask_function(r):
    name = f"{r.choice(VERBS)}_{ident(r, r.randint(1, 2))}"
    k = r.randrange(6)
    col = r.choice(NOUNS)
    if k == 0:
        body = (f"    df = dd.read_parquet(\"s3://{COMPANY}-lake/{r.choice(TEAMS)}/{r.choice(NOUNS)}/\", "
                f"columns=[\"{col}_id\", \"amount\", \"ts\"])\n"
                f"    df = df[df.amount > {r.randint(0, 500)}]\n"
                f"    out = df.groupby(\"{col}_id\").amount.agg([\"sum\", \"count\"])\n"
                f"    return out.compute()\n")
    elif k == 1:
        body = (f"    parts = [delayed({r.choice(VERBS)}_{col})(p) for p in partitions]\n"
                f"    return dask.compute(*parts, scheduler=\"{r.choice(['threads', 'processes', 'sync'])}\")\n")
    elif k == 2:
        body = (f"    client = get_client()\n    futures = client.map({r.choice(VERBS)}_{col}, items, retries={r.randint(0, 3)})\n"
                f"    for future in as_completed(futures):\n        logger.info(\"done %s\", future.key)\n"
                f"    return client.gather(futures)\n")
    elif k == 3:
        value = r.choice(['0.6', '0.7', 'False', '"30s"', '"tasks"'])
        body = (f"    with dask.config.set({{\"{r.choice(DASK_CONFIG_KEYS)}\": {value}}}):\n"
                f"        x = da.random.random(({r.randint(1, 9)}000, {r.randint(1, 9)}000), chunks=({r.randint(1, 9)}00, 1000))\n"
                f"        return x.mean().compute()\n")
    elif k == 4:
        body = (f"    bag = db.read_text(\"s3://{COMPANY}-logs/{r.choice(TEAMS)}/*.json\").map(json.loads)\n"
                f"    return bag.filter(lambda e: e[\"{col}\"] is not None).count().compute()\n")
    else:
        body = (f"    cluster = LocalCluster(n_workers={r.randint(1, 8)}, threads_per_worker={r.randint(1, 4)}, "
                f"memory_limit=\"{r.randint(2, 16)}GB\")\n"
                f"    with Client(cluster) as client:\n        return client.submit(sum, range({r.randint(10, 999)})).result()\n")
    return f"def {name}(items=None, partitions=()):\n    \"\"\"{sentence(r, 4, 12)}\"\"\"\n{body}\n\n"


def dask_py_header(r):
    imps = sorted(r.sample(PY_STD, r.randint(2, 5)))
    out = [f'"""{sentence(r, 5, 12)}"""', ""]
    out += [f"import {m}" for m in imps if m not in ("json", "logging")]
    # Every dask snippet's names are imported, as a module collecting them would.
    out += ["import json", "import logging", "", "import dask", "import dask.array as da", "import dask.bag as db",
            "import dask.dataframe as dd", "from dask import delayed",
            "from dask.distributed import Client, LocalCluster, as_completed, get_client"]
    out += ["", "logger = logging.getLogger(__name__)", ""]
    if r.random() < 0.3:
        out.append(f"os.environ.setdefault(\"DASK_{r.choice(DASK_CONFIG_KEYS).upper().replace('.', '__').replace('-', '_')}\", \"{r.choice(['0.6', 'False', '30s'])}\")")
    out += ["", ""]
    return "\n".join(out)


def dask_k8s_doc(r, ns):
    """A manifest of a dask shop that mentions dask but runs nothing classic: a notebook
    server with a dask image and DASK_ variables, or a batch job calling a dask script."""
    app = kname(r)
    meta = (f"metadata:\n  name: {app}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: {app}\n"
            f"    app.kubernetes.io/component: {r.choice(['notebook', 'etl', 'batch'])}\n")
    env = "".join(f"            - name: DASK_{k.upper().replace('.', '__').replace('-', '_')}\n              value: \"{r.choice(['0.6', 'False', '30s'])}\"\n"
                  for k in r.sample(DASK_CONFIG_KEYS, r.randint(1, 3)))
    if r.random() < 0.5:
        return (f"apiVersion: apps/v1\nkind: Deployment\n{meta}spec:\n  replicas: 1\n  selector:\n    matchLabels:\n"
                f"      app.kubernetes.io/name: {app}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {app}\n"
                f"    spec:\n      containers:\n        - name: notebook\n          image: ghcr.io/dask/dask-notebook:2024.{r.randint(1, 12)}.0\n"
                f"          command: [\"jupyter\", \"lab\", \"--ip=0.0.0.0\", \"--no-browser\"]\n"
                f"          env:\n{env}          ports:\n            - containerPort: 8888\n")
    return (f"apiVersion: batch/v1\nkind: CronJob\n{meta}spec:\n  schedule: \"{r.randint(0, 59)} {r.randint(0, 23)} * * *\"\n"
            f"  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n"
            f"          containers:\n            - name: etl\n              image: registry.{COMPANY}.io/{ns}/dask-etl:{r.randint(1, 40)}\n"
            f"              command: [\"python\", \"-m\", \"{COMPANY}.{r.choice(NOUNS)}.etl\", \"--scheduler\", \"threads\"]\n"
            f"              env:\n{env.replace('            ', '                ')}")


class Pools:
    def __init__(self, r):
        self.py = [py_function(r) if r.random() < 0.8 else py_class(r) for _ in range(5000)]
        self.ts = [ts_function(r) for _ in range(2500)]
        self.md = [md_block(r) for _ in range(2500)]
        self.csv = [csv_row(r) for _ in range(3000)]
        self.jsonl = [jsonl_row(r) for _ in range(3000)]
        self.log = [log_row(r) for _ in range(3000)]
        self.sent = [sentence(r) for _ in range(2000)]
        self.dask_py = None

    def dask(self, r):
        """The dask-shop pool, made on first use (so the monorepo profile's output is
        byte-for-byte what it was before the profile existed)."""
        if self.dask_py is None:
            self.dask_py = [dask_function(r) for _ in range(2500)]
        return self.dask_py


def fill(r, pool, head, size, tail=""):
    """head + whole pool samples + tail, about `size` bytes.

    Whole samples keep every file syntactically valid; the last sample is kept
    only if that lands closer to `size`, so sizes are right on average.
    """
    parts, n = [head], len(head) + len(tail)
    while n < size:
        s = r.choice(pool)
        if n + len(s) > size and (n + len(s) - size) > (size - n):
            break
        parts.append(s)
        n += len(s)
    parts.append(tail)
    return "".join(parts)


# ---------------------------------------------------------------------------
# Filler file content by kind (target size in bytes -> text or bytes)
# ---------------------------------------------------------------------------


def gen_python(r, P, size):
    return fill(r, P.py, py_header(r, None), size)


def gen_dask_python(r, P, size):
    pool = P.dask(r)
    mixed = [pool[i] if i % 2 else P.py[i] for i in range(len(pool))]
    return fill(r, mixed, dask_py_header(r), size)


def gen_dask_k8s(r, P, size):
    ns = r.choice(TEAMS)
    docs, n = [], 0
    while n < size or not docs:
        d = dask_k8s_doc(r, ns) if r.random() < 0.25 else k8s_doc(r, ns)
        docs.append(d)
        n += len(d) + 4
    return "---\n".join(docs)


def gen_dask_notebook(r, P, size):
    cells = [("code", "import dask.dataframe as dd\nfrom dask.distributed import Client\n\nclient = Client()\nclient")]
    cells += [("code", P.dask(r)[r.randrange(2500)]) for _ in range(r.randint(1, 4))]
    return gen_notebook(r, P, size, cells)


def gen_ts(r, P, size):
    head = (f"import {{ client }} from '../api/client';\nimport {{ metrics }} from '@{COMPANY}/telemetry';\n"
            f"import type {{ RequestOptions }} from '@{COMPANY}/http';\n\n")
    return fill(r, P.ts, head, size)


def gen_md(r, P, size):
    return fill(r, P.md, f"# {sentence(r, 2, 6)[:-1]}\n\n{paragraph(r)}\n\n", size)


def gen_k8s(r, P, size):
    ns = r.choice(TEAMS)
    docs, n = [], 0
    while n < size or not docs:
        d = k8s_doc(r, ns)
        docs.append(d)
        n += len(d) + 4
    return "---\n".join(docs)


def gen_ci(r, P, size):
    return fill(r, [ci_config(r) for _ in range(4)], "# CI pipeline\n", size)


def gen_json(r, P, size):
    recs, n = [], 0
    while n < size or not recs:
        rec = {"id": r.randint(1, 10**7), "name": ident(r, 2), "team": r.choice(TEAMS),
               "enabled": r.random() < 0.5, "limits": {"cpu": r.randint(1, 8), "rps": r.randint(10, 9999)},
               "description": r.choice(P.sent)}
        s = json.dumps(rec, indent=2)
        recs.append(s)
        n += len(s) + 2
    return "[\n" + ",\n".join(recs) + "\n]\n"


def gen_package_json(r, P, size):
    deps = {f"@{COMPANY}/{r.choice(NOUNS)}": f"^{r.randint(0, 9)}.{r.randint(0, 30)}.0" for _ in range(r.randint(3, 15))}
    deps.update({p: f"^{r.randint(1, 18)}.{r.randint(0, 9)}.0" for p in r.sample(
        ["react", "react-dom", "zod", "axios", "lodash", "date-fns", "typescript", "vite", "vitest",
         "eslint", "prettier", "express", "next", "graphql"], r.randint(3, 9))})
    return json.dumps({"name": f"@{COMPANY}/{kname(r)}", "version": f"{r.randint(0, 4)}.{r.randint(0, 30)}.{r.randint(0, 9)}",
                       "private": True, "scripts": {"build": "vite build", "test": "vitest run", "lint": "eslint ."},
                       "dependencies": deps}, indent=2) + "\n"


def gen_other(r, P, size):
    k = r.randrange(5)
    if k == 0:
        head = (f"FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
                f"COPY . .\nENV {r.choice(NOUNS).upper()}_MODE={r.choice(ADJ)}\nCMD [\"python\", \"-m\", \"{COMPANY}.{r.choice(NOUNS)}\"]\n")
        return head
    if k == 1:
        lines = ["#!/usr/bin/env bash", "set -euo pipefail", ""]
        pool = [f"echo \"{r.choice(P.sent)}\"\n" for _ in range(30)] + \
               [f"kubectl -n {r.choice(TEAMS)} rollout status deploy/{kname(r)}\n" for _ in range(10)]
        return fill(r, pool, "\n".join(lines) + "\n", size)
    if k == 2:
        pool = [f"{r.choice(NOUNS)}_{r.choice(NOUNS)} = {r.randint(0, 999)}\n" for _ in range(40)] + \
               [f"[{r.choice(NOUNS)}.{r.choice(NOUNS)}]\n" for _ in range(10)]
        return fill(r, pool, "[tool.settings]\n", size)
    if k == 3:
        pool = [f"INSERT INTO {r.choice(NOUNS)}s (id, name, value) VALUES ({r.randint(1, 10**6)}, '{ident(r)}', {r.random():.5f});\n"
                for _ in range(60)]
        return fill(r, pool, "BEGIN;\n", size, "COMMIT;\n")
    pkgs = ["requests", "numpy", "pandas", "sqlalchemy", "boto3", "redis", "pydantic", "fastapi",
            "httpx", "click", "pyyaml", "structlog", "tenacity", "pyarrow", "scipy", "celery"]
    return "".join(f"{p}=={r.randint(0, 3)}.{r.randint(0, 30)}.{r.randint(0, 9)}\n" for p in r.sample(pkgs, r.randint(4, 14)))


def gen_notebook(r, P, size, extra_cells=None, big_png=0):
    cells = []

    def code(src, outputs=None):
        cells.append({"cell_type": "code", "execution_count": len(cells) + 1, "metadata": {},
                      "outputs": outputs or [], "source": src.splitlines(True)})

    def mdc(src):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": src.splitlines(True)})

    mdc(f"# {sentence(r, 2, 6)[:-1]}\n\n{paragraph(r)}")
    code("import pandas as pd\nimport numpy as np\nimport matplotlib.pyplot as plt\n")
    for c in extra_cells or []:
        (code if c[0] == "code" else mdc)(c[1])
    n = sum(len(json.dumps(c)) for c in cells)
    while n < size - big_png:
        if r.random() < 0.3:
            mdc(paragraph(r))
        else:
            src = r.choice(P.py)
            out = [{"name": "stdout", "output_type": "stream",
                    "text": [f"{r.choice(NOUNS)}: {r.random():.4f}\n" for _ in range(r.randint(1, 8))]}]
            code(src, out)
        n += len(json.dumps(cells[-1]))
    if big_png:
        png = b"\x89PNG\r\n\x1a\n" + r.randbytes(big_png * 3 // 4)
        code("fig, ax = plt.subplots(figsize=(12, 6))\ndf.plot(ax=ax)\n",
             [{"output_type": "display_data", "metadata": {},
               "data": {"image/png": base64.b64encode(png).decode(), "text/plain": ["<Figure size 1200x600 with 1 Axes>"]}}])
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                        "language_info": {"name": "python", "version": "3.11.6"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def gen_data(r, P, size, ext):
    if ext == "csv":
        return fill(r, P.csv, "id,entity,team,amount,flag,ts,state\n", size)
    if ext == "jsonl":
        return fill(r, P.jsonl, "", size)
    if ext == "log":
        return fill(r, P.log, "", size)
    if ext == "json":  # one big minified API dump
        rows = []
        n = 0
        while n < size:
            s = P.jsonl[r.randrange(len(P.jsonl))].strip()
            rows.append(s)
            n += len(s) + 1
        return '{"items":[' + ",".join(rows) + "]}\n"
    raise ValueError(ext)


def gen_binary(r, size, ext):
    magic = {"png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "whl": b"PK\x03\x04\x14\x00\x00\x00",
             "so": b"\x7fELF\x02\x01\x01\x00", "parquet": b"PAR1\x15\x04\x15", "jar": b"PK\x03\x04\n\x00\x00\x00",
             "pkl": b"\x80\x05\x95"}[ext]
    return magic + r.randbytes(max(0, size - len(magic)))


# ---------------------------------------------------------------------------
# Relevant files: classic Dask-on-Kubernetes, modelled on the shapes in
# reference/dask-facts.md §6 (written from scratch; no file is copied).
# Each returns (relative path, text).  `svc` is a service dir to live in.
# ---------------------------------------------------------------------------


def dask_img(r):
    return r.choice(["daskdev/dask:latest", "daskdev/dask:2.30.0", "daskdev/dask:2021.4.1",
                     "ghcr.io/dask/dask:latest", "ghcr.io/dask/dask:2023.8.1",
                     f"registry.{COMPANY}.io/{r.choice(TEAMS)}/dask-runtime:{r.randint(1, 30)}"])


def mem(r):
    return r.choice(["2G", "4G", "6G", "8GB", "16Gi", "7G", "12e9"])


def worker_args(r, indent, flow=True):
    args = ["dask-worker", r.choice(["$(DASK_SCHEDULER_ADDRESS)", None, None]), "--nthreads", f"'{r.randint(1, 8)}'",
            r.choice(["--no-bokeh", "--no-bokeh", "--no-dashboard"]), "--memory-limit", mem(r),
            "--death-timeout", f"'{r.choice([60, 120, 600])}'"]
    args = [a for a in args if a]
    if flow:
        return f"{indent}args: [{', '.join(args)}]\n"
    return f"{indent}args:\n" + "".join(f"{indent}  - {a}\n" for a in args)


def pod_template_body(r, indent):
    """A classic worker pod spec (kind: Pod body without kind), indented."""
    i = indent
    env = "".join(f"{i}      - name: {k}\n{i}        value: \"{v}\"\n" for k, v in r.sample(
        [("EXTRA_PIP_PACKAGES", "s3fs gcsfs --upgrade"), ("EXTRA_CONDA_PACKAGES", "xarray zarr -c conda-forge"),
         ("OMP_NUM_THREADS", "1"), ("DASK_DISTRIBUTED__WORKER__DAEMON", "False"), ("TEAM", r.choice(TEAMS))], r.randint(1, 3)))
    s = (f"{i}metadata:\n{i}  labels:\n{i}    team: {r.choice(TEAMS)}\n"
         f"{i}spec:\n{i}  restartPolicy: Never\n")
    if r.random() < 0.4:
        s += f"{i}  serviceAccountName: {r.choice(TEAMS)}-workers\n"
    if r.random() < 0.4:
        s += (f"{i}  tolerations:\n{i}    - key: \"k8s.dask.org/dedicated\"\n{i}      operator: \"Equal\"\n"
              f"{i}      value: \"worker\"\n{i}      effect: \"NoSchedule\"\n")
    s += (f"{i}  containers:\n{i}    - image: {dask_img(r)}\n{i}      imagePullPolicy: IfNotPresent\n"
          f"{i}      name: {r.choice(['dask-worker', 'dask', 'worker'])}\n"
          + worker_args(r, i + "      ", flow=r.random() < 0.6)
          + f"{i}      env:\n{env}"
          f"{i}      resources:\n{i}        limits:\n{i}          cpu: \"{r.choice([1, 2, 4, '1.75'])}\"\n"
          f"{i}          memory: {mem(r)}\n{i}        requests:\n{i}          cpu: \"{r.choice([1, 2, '500m'])}\"\n"
          f"{i}          memory: {mem(r)}\n")
    return s


def rel_py_make_pod_spec(r, P, svc):
    imp = r.choice([
        "from dask_kubernetes import KubeCluster, make_pod_spec",
        "from dask_kubernetes import KubeCluster, make_pod_spec",
        "from dask_kubernetes.classic import KubeCluster, make_pod_spec",
        "from dask_kubernetes.core import KubeCluster\nfrom dask_kubernetes.objects import make_pod_spec",
    ])
    n = r.randint(2, 40)
    body = (f'"""Run the {r.choice(TEAMS)} {r.choice(NOUNS)} backfill on a Dask cluster in Kubernetes."""\n'
            f"import logging\nimport os\n\nfrom dask.distributed import Client\n{imp}\n\n"
            f"logger = logging.getLogger(__name__)\n\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(1, 5)))
    body += (f"def start_cluster(n_workers={n}):\n"
             f"    pod_spec = make_pod_spec(\n        image=\"{dask_img(r)}\",\n"
             f"        memory_limit=\"{mem(r)}\",\n        memory_request=\"{mem(r)}\",\n"
             f"        cpu_limit={r.randint(1, 4)},\n        cpu_request={r.randint(1, 2)},\n"
             f"        threads_per_worker={r.randint(1, 4)},\n"
             f"        env={{\"EXTRA_PIP_PACKAGES\": \"{r.choice(['s3fs', 'gcsfs pyarrow', 'bokeh'])}\"}},\n")
    if r.random() < 0.4:
        body += ("        extra_container_config={\"volumeMounts\": [{\"name\": \"scratch\", \"mountPath\": \"/scratch\"}]},\n"
                 "        extra_pod_config={\"volumes\": [{\"name\": \"scratch\", \"emptyDir\": {}}],\n"
                 "                          \"imagePullSecrets\": [{\"name\": \"registry-creds\"}]},\n")
    body += "    )\n"
    kw = r.choice([f'namespace="{r.choice(TEAMS)}"', f'name="{kname(r)}-{{uuid}}"', "deploy_mode=\"remote\"",
                   f'n_workers=n_workers, namespace=os.environ.get("NAMESPACE", "{r.choice(TEAMS)}")'])
    body += f"    cluster = KubeCluster(pod_spec, {kw})\n"
    body += r.choice([f"    cluster.adapt(minimum={r.randint(0, 2)}, maximum=n_workers)\n",
                      "    cluster.scale(n_workers)\n"])
    body += "    return cluster, Client(cluster)\n\n\n"
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 4)))
    return f"{svc}/cluster/{r.choice(['dask_cluster', 'compute', 'k8s_cluster', 'backfill'])}.py", body


def rel_py_from_yaml(r, P, svc):
    spec = r.choice(["worker-spec.yml", "worker-spec.yaml", "deploy/worker-template.yaml"])
    body = (f'"""{sentence(r, 4, 9)}"""\nimport dask.array as da\nfrom dask.distributed import Client\n'
            f"from dask_kubernetes import KubeCluster\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 3)))
    if r.random() < 0.5:
        body += (f"cluster = KubeCluster.from_yaml('{spec}')\n"
                 f"cluster.scale_up({r.randint(2, 20)})\n")
    else:
        body += (f"cluster = KubeCluster.from_yaml('{spec}', port=8786, diagnostics_port=8787)\n"
                 f"cluster.adapt(minimum={r.randint(1, 3)}, maximum={r.randint(5, 50)}, startup_cost='{r.randint(1, 10)}s', target_duration='{r.randint(1, 30)}s')\n")
    body += ("client = Client(cluster)\n\n"
             f"x = da.random.random(({r.randint(1, 9)}0000, {r.randint(1, 9)}0000), chunks=(1000, 1000))\n"
             "print(x.mean().compute())\n")
    return f"{svc}/scripts/{r.choice(['start_cluster', 'run_remote', 'k8s_compute'])}.py", body


def rel_py_prefect(r, P, svc):
    body = ('"""Prefect flow that fans out onto an ephemeral cluster."""\n'
            "from prefect import Flow, task\nfrom prefect.executors import DaskExecutor\n")
    if r.random() < 0.5:
        body += "from dask_kubernetes import make_pod_spec\n\n"
        body += (f"POD_SPEC = make_pod_spec(image=\"{dask_img(r)}\", env={{\"EXTRA_PIP_PACKAGES\": \"bokeh\"}})\n\n"
                 "executor = DaskExecutor(\n    cluster_class=\"dask_kubernetes.KubeCluster\",\n"
                 f"    cluster_kwargs={{\"pod_template\": POD_SPEC, \"name\": \"{kname(r)}-worker\", \"n_workers\": {r.randint(1, 9)}}},\n)\n\n")
    else:
        body += ("\n\nexecutor = DaskExecutor(\n    cluster_class=\"dask_kubernetes.KubeCluster\",\n"
                 f"    cluster_kwargs={{\"n_workers\": {r.randint(1, 9)}}},\n)\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(1, 4)))
    body += f"with Flow(\"{kname(r)}\", executor=executor) as flow:\n    pass\n"
    return f"{svc}/flows/{r.choice(NOUNS)}_flow.py", body


def rel_py_helm(r, P, svc):
    body = ("from dask.distributed import Client\nfrom dask_kubernetes import HelmCluster\n\n"
            f"cluster = HelmCluster(release_name=\"{kname(r)}\", namespace=\"{r.choice(TEAMS)}\")\n"
            f"cluster.scale({r.randint(2, 30)})\nclient = Client(cluster)\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 3)))
    return f"{svc}/ops/helm_cluster.py", body


def rel_py_common_objects(r, P, svc):
    mod = r.choice(["dask_kubernetes.common.objects", "dask_kubernetes.objects", "dask_kubernetes"])
    body = (f"import yaml\nfrom dask_kubernetes import KubeCluster\nfrom {mod} import make_pod_from_dict, clean_pod_template\n\n"
            f"with open('configs/{r.choice(NOUNS)}/scheduler.yml') as f:\n    scheduler_spec = yaml.safe_load(f)\n\n"
            f"cluster = KubeCluster(\n    pod_template='configs/{r.choice(NOUNS)}/worker-cpu.yml',\n"
            "    scheduler_pod_template=clean_pod_template(make_pod_from_dict(scheduler_spec), pod_type='scheduler'),\n"
            f"    namespace='{r.choice(TEAMS)}',\n    name='{kname(r)}-dev',\n"
            f"    scheduler_service_wait_timeout={r.choice([120, 240, 600])},\n)\n"
            f"cluster.adapt(minimum={r.randint(1, 4)}, maximum={r.randint(4, 64)})\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 3)))
    return f"{svc}/configs/cluster/{r.choice(['kube_cluster', 'dev_cluster', 'cpu_cluster'])}.py", body


def rel_worker_pod(r, P, svc):
    body = f"# Worker pod template for {r.choice(TEAMS)} jobs\n"
    body += "kind: Pod\n" if r.random() < 0.8 else "apiVersion: v1\nkind: Pod\n"
    body += pod_template_body(r, "")
    return f"{svc}/{r.choice(['worker-spec.yml', 'worker-spec.yaml', 'worker-template.yaml', 'deploy/dask-worker-pod.yaml'])}", body


def rel_dask_config(r, P, svc):
    body = "# Dask configuration baked into the notebook image\n"
    if r.random() < 0.5:
        body += "distributed:\n  dashboard:\n    link: \"{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status\"\n"
    body += "kubernetes:\n"
    body += f"  name: \"{r.choice(['dask-{user}-{uuid}', 'dask-{JUPYTERHUB_USER}-{uuid}', kname(r) + '-{uuid}'])}\"\n"
    if r.random() < 0.5:
        body += f"  count:\n    max: {r.randint(10, 200)}\n"
    if r.random() < 0.3:
        body += f"  scheduler-service-wait-timeout: {r.choice([30, 60, 120])}\n  deploy-mode: \"{r.choice(['local', 'remote'])}\"\n"
    if r.random() < 0.25:
        body += "  worker-template-path: \"/home/{NB_USER}/worker-template.yaml\"\n"
    else:
        body += "  worker-template:\n" + pod_template_body(r, "    ")
    if r.random() < 0.5:
        body += "labextension:\n  factory:\n    module: dask_kubernetes\n    class: KubeCluster\n    args: []\n    kwargs: {}\n"
    path = r.choice(["dask_config.yaml", "image/dask/config.yaml", "etc/dask/kubernetes.yaml", "binder/dask_config.yaml"])
    return f"{svc}/{path}", body


def rel_handrolled(r, P, svc):
    ns = r.choice(TEAMS)
    img = dask_img(r)
    n = r.randint(1, 20)
    dash = r.choice(['--bokeh-port, "8787"', '--dashboard-address, ":8787"'])
    sched = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dask-scheduler\n  namespace: {ns}\n"
             f"spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: dask-scheduler\n  template:\n"
             f"    metadata:\n      labels:\n        app: dask-scheduler\n    spec:\n      containers:\n"
             f"        - name: dask-scheduler\n          image: {img}\n"
             f"          args: [dask-scheduler, --port, \"8786\", {dash}]\n"
             f"          ports:\n            - containerPort: 8786\n            - containerPort: 8787\n")
    svc_doc = (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: dask-scheduler\n  namespace: {ns}\nspec:\n"
               f"  selector:\n    app: dask-scheduler\n  ports:\n    - name: tcp\n      port: 8786\n      targetPort: 8786\n"
               f"    - name: dashboard\n      port: 8787\n      targetPort: 8787\n")
    worker = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dask-worker\n  namespace: {ns}\n"
              f"spec:\n  replicas: {n}\n  selector:\n    matchLabels:\n      app: dask-worker\n  template:\n"
              f"    metadata:\n      labels:\n        app: dask-worker\n    spec:\n      containers:\n"
              f"        - name: dask-worker\n          image: {img}\n"
              f"          args: [dask-worker, dask-scheduler:8786, --no-bokeh, --nthreads, \"{r.randint(1, 4)}\", --nprocs, \"{r.randint(1, 4)}\"]\n"
              f"          env:\n            - name: DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING\n              value: \"False\"\n")
    docs = [sched, svc_doc, worker]
    if r.random() < 0.5:  # sometimes split over files: keep one combined file here
        docs.insert(0, k8s_doc(r, ns))
    return f"{svc}/deploy/k8s/{r.choice(['dask.yaml', 'dask-cluster.yaml', 'compute.yaml'])}", "---\n".join(docs)


def rel_helm_values(r, P, svc):
    img_repo = r.choice(["daskdev/dask", "ghcr.io/dask/dask", f"registry.{COMPANY}.io/dask-runtime"])
    tag = r.choice(["2.30.0", "2021.8.1", "2022.12.1", "2023.8.1", "latest"])
    body = (f"# Values for dask/dask (helm upgrade --install {kname(r)} dask/dask -f values.yaml)\n"
            f"scheduler:\n  name: scheduler\n  image:\n    repository: \"{img_repo}\"\n    tag: \"{tag}\"\n    pullPolicy: IfNotPresent\n"
            f"  replicas: 1\n  serviceType: \"{r.choice(['LoadBalancer', 'ClusterIP', 'NodePort'])}\"\n  servicePort: 8786\n"
            f"  resources: {{}}\n\nwebUI:\n  name: webui\n  servicePort: 80\n  ingress:\n    enabled: {r.choice(['true', 'false'])}\n"
            f"    hostname: dask-ui.{COMPANY}.internal\n\n"
            f"worker:\n  name: worker\n  image:\n    repository: \"{img_repo}\"\n    tag: \"{tag}\"\n    pullPolicy: IfNotPresent\n"
            f"    dask_worker: \"dask-worker\"\n  replicas: {r.randint(1, 30)}\n"
            f"  default_resources:\n    cpu: {r.randint(1, 4)}\n    memory: \"{r.randint(2, 16)}GiB\"\n"
            f"  env:\n    - name: EXTRA_PIP_PACKAGES\n      value: s3fs --upgrade\n\n"
            f"jupyter:\n  name: jupyter\n  enabled: {r.choice(['true', 'false'])}\n  image:\n"
            f"    repository: \"daskdev/dask-notebook\"\n    tag: \"{tag}\"\n  serviceType: ClusterIP\n  servicePort: 80\n")
    return f"{svc}/helm/{r.choice(['dask-values.yaml', 'values-dask.yaml', 'dask/values.yaml'])}", body


def rel_notebook(r, P, svc):
    cells = [("markdown", "## Scale out on the shared Kubernetes cluster"),
             ("code", r.choice([
                 "from dask_kubernetes import KubeCluster\nfrom dask.distributed import Client\n\n"
                 "cluster = KubeCluster.from_yaml('worker-spec.yml')\ncluster.scale(10)\nclient = Client(cluster)\nclient",
                 "from dask_kubernetes import KubeCluster, make_pod_spec\n\n"
                 f"pod_spec = make_pod_spec(image='{dask_img(r)}', memory_limit='{mem(r)}', cpu_limit=2)\n"
                 "cluster = KubeCluster(pod_spec)\ncluster.adapt(minimum=1, maximum=20)\ncluster",
                 "import dask_kubernetes\n\ncluster = dask_kubernetes.KubeCluster()  # worker template from config\ncluster.scale(4)",
             ]))]
    big = r.choice([0, 0, 0, 400_000, 1_500_000])
    return (f"notebooks/{r.choice(TEAMS)}/{r.choice(VERBS)}_{r.choice(NOUNS)}_{r.randint(1, 999)}.ipynb",
            gen_notebook(r, P, r.randint(8_000, 60_000) + big, cells, big))


def rel_argo(r, P, svc):
    body = (f"apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: {kname(r)}-dask\nspec:\n"
            f"  entrypoint: main\n  templates:\n    - name: main\n      steps:\n        - - name: scheduler\n"
            f"            template: dask-scheduler\n        - - name: workers\n            template: dask-workers\n"
            f"            arguments:\n              parameters:\n                - name: scheduler-ip\n"
            f"                  value: \"{{{{steps.scheduler.ip}}}}\"\n"
            f"    - name: dask-scheduler\n      daemon: true\n      container:\n        image: {dask_img(r)}\n"
            f"        args: [dask-scheduler, --idle-timeout, \"300\"]\n"
            f"    - name: dask-workers\n      inputs:\n        parameters:\n          - name: scheduler-ip\n"
            f"      resource:\n        action: create\n        manifest: |\n          apiVersion: apps/v1\n"
            f"          kind: Deployment\n          metadata:\n            name: dask-worker-{{{{workflow.name}}}}\n"
            f"          spec:\n            replicas: {r.randint(2, 20)}\n            selector:\n              matchLabels:\n"
            f"                app: dask-worker\n            template:\n              metadata:\n                labels:\n"
            f"                  app: dask-worker\n              spec:\n                containers:\n"
            f"                  - name: worker\n                    image: {dask_img(r)}\n"
            f"                    args: [dask-worker, \"{{{{inputs.parameters.scheduler-ip}}}}:8786\", --nthreads, \"2\", --death-timeout, \"60\"]\n")
    return f"{svc}/workflows/{r.choice(['dask-cluster', 'petabyte-job', 'nightly-compute'])}.yaml", body


def rel_configmap(r, P, svc):
    body = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {kname(r)}-dask-config\n  namespace: {r.choice(TEAMS)}\n"
            f"data:\n  kubernetes.yaml: |\n    kubernetes:\n      name: \"dask-worker-{{{{ user }}}}-{{{{ uuid }}}}\"\n      port: 8786\n"
            "      worker-template:\n" + pod_template_body(r, "        "))
    return f"{svc}/deploy/{r.choice(['dask-configmap.yaml', 'configmap-dask.yaml'])}", body


RELEVANT = [  # (generator, weight)
    (rel_py_make_pod_spec, 20), (rel_py_from_yaml, 10), (rel_py_prefect, 6), (rel_py_helm, 4),
    (rel_py_common_objects, 6), (rel_worker_pod, 16), (rel_dask_config, 12), (rel_handrolled, 8),
    (rel_helm_values, 6), (rel_notebook, 6), (rel_argo, 3), (rel_configmap, 3),
]

# ---------------------------------------------------------------------------
# Look-alikes: must NOT produce findings (modern or unrelated usage).
# ---------------------------------------------------------------------------


def look_operator_py(r, P, svc):
    body = ("from dask.distributed import Client\n"
            f"from dask_kubernetes.operator import KubeCluster{r.choice(['', ', make_cluster_spec'])}\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 3)))
    body += (f"cluster = KubeCluster(\n    name=\"{kname(r)}\",\n    image=\"ghcr.io/dask/dask:2024.{r.randint(5, 12)}.0\",\n"
             f"    n_workers={r.randint(1, 10)},\n    resources={{\"requests\": {{\"memory\": \"2Gi\"}}, \"limits\": {{\"memory\": \"4Gi\"}}}},\n"
             f"    env={{\"EXTRA_PIP_PACKAGES\": \"s3fs\"}},\n)\ncluster.adapt(minimum=1, maximum={r.randint(5, 40)})\nclient = Client(cluster)\n")
    return f"{svc}/compute/operator_cluster.py", body


def look_daskcluster_yaml(r, P, svc):
    name = kname(r)
    body = (f"apiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata:\n  name: {name}\nspec:\n  idleTimeout: 3600\n"
            f"  worker:\n    replicas: {r.randint(1, 10)}\n    spec:\n      containers:\n        - name: worker\n"
            f"          image: \"ghcr.io/dask/dask:2024.{r.randint(5, 12)}.0\"\n          imagePullPolicy: IfNotPresent\n"
            f"          args: [dask, worker, --name, $(DASK_WORKER_NAME), --dashboard, --dashboard-address, \"8788\"]\n"
            f"          ports:\n            - name: http-dashboard\n              containerPort: 8788\n"
            f"  scheduler:\n    spec:\n      containers:\n        - name: scheduler\n"
            f"          image: \"ghcr.io/dask/dask:2024.{r.randint(5, 12)}.0\"\n          args: [dask, scheduler]\n"
            f"          ports:\n            - name: tcp-comm\n              containerPort: 8786\n"
            f"            - name: http-dashboard\n              containerPort: 8787\n"
            f"    service:\n      type: ClusterIP\n      selector:\n        dask.org/cluster-name: {name}\n"
            f"        dask.org/component: scheduler\n      ports:\n        - name: tcp-comm\n          port: 8786\n"
            f"          targetPort: tcp-comm\n")
    if r.random() < 0.5:
        body += (f"---\napiVersion: kubernetes.dask.org/v1\nkind: DaskAutoscaler\nmetadata:\n  name: {name}\nspec:\n"
                 f"  cluster: {name}\n  minimum: 1\n  maximum: {r.randint(5, 50)}\n")
    return f"{svc}/deploy/daskcluster.yaml", body


def look_plain_dask(r, P, svc):
    body = (r.choice(["import dask.dataframe as dd\n", "import dask.array as da\nimport dask.dataframe as dd\n"]) +
            r.choice(["from dask.distributed import Client, LocalCluster\n", "from distributed import Client\n"]) + "\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(1, 6)))
    body += ("\ndef main():\n    cluster = LocalCluster(n_workers=4, threads_per_worker=2)\n"
             "    client = Client(cluster)\n"
             f"    df = dd.read_parquet(\"s3://{COMPANY}-lake/{r.choice(NOUNS)}/\")\n"
             "    print(df.groupby(\"team\").amount.sum().compute())\n")
    return f"{svc}/analysis/{r.choice(VERBS)}_{r.choice(NOUNS)}.py", body


def look_other_kubernetes_key(r, P, svc):
    k = r.randrange(5)
    if k == 0:
        body = ("# Airflow chart values\nexecutor: KubernetesExecutor\nconfig:\n  kubernetes:\n"
                f"    namespace: {r.choice(TEAMS)}\n    worker_container_repository: apache/airflow\n"
                "    worker_container_tag: 2.7.3\n    delete_worker_pods: 'True'\n")
        return f"{svc}/helm/airflow-values.yaml", body
    if k == 1:
        body = ("scrape_configs:\n  - job_name: kubernetes-pods\n    kubernetes_sd_configs:\n      - role: pod\n"
                "    relabel_configs:\n      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]\n"
                "        action: keep\n        regex: true\n")
        return f"{svc}/monitoring/prometheus.yaml", body
    if k == 2:
        body = (f"spark:\n  master: k8s://https://kubernetes.default.svc\n  kubernetes:\n    namespace: {r.choice(TEAMS)}\n"
                "    container:\n      image: apache/spark:3.5.0\n    executor:\n      request:\n        cores: \"2\"\n"
                "    authenticate:\n      driver:\n        serviceAccountName: spark\n")
        return f"{svc}/spark/spark-defaults.yaml", body
    if k == 3:
        body = ("datadog:\n  apiKeyExistingSecret: datadog-secret\n  kubelet:\n    tlsVerify: false\n"
                "  kubernetes:\n    collectEvents: true\n  logs:\n    enabled: true\n    containerCollectAll: true\n")
        return f"{svc}/monitoring/datadog-values.yaml", body
    body = ("cluster_name: ray-batch\nprovider:\n  type: kubernetes\n  use_internal_ips: true\n"
            f"  namespace: {r.choice(TEAMS)}\nkubernetes:\n  worker-template: none  # our own tool's key, unrelated\n"
            "  worker_replicas: 4\nhead_node_type: head\n")
    return f"{svc}/ray/cluster.yaml", body


def look_k8s_client(r, P, svc):
    body = ("from kubernetes import client, config\n\nconfig.load_incluster_config()\nv1 = client.CoreV1Api()\n\n"
            f"def list_pods(namespace=\"{r.choice(TEAMS)}\"):\n    return [p.metadata.name for p in v1.list_namespaced_pod(namespace).items]\n\n")
    body += "".join(r.choice(P.py) for _ in range(r.randint(0, 3)))
    return f"{svc}/ops/k8s_pods.py", body


def look_gateway(r, P, svc):
    if r.random() < 0.5:
        body = ("from dask_gateway import Gateway\n\ngateway = Gateway()\n"
                f"cluster = gateway.new_cluster(worker_cores={r.randint(1, 4)}, worker_memory={r.randint(2, 16)})\n"
                f"cluster.scale({r.randint(2, 40)})\nclient = cluster.get_client()\n")
        return f"{svc}/analysis/gateway_cluster.py", body
    body = ("gateway:\n  address: https://gateway.example.internal\n  cluster:\n    options:\n"
            f"      worker_cores: {r.randint(1, 4)}\n      image: ghcr.io/dask/dask-gateway:2024.1.0\n")
    return f"{svc}/etc/gateway.yaml", body


def look_chart_template(r, P, svc):
    body = ('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ template "dask.fullname" . }}-worker\n'
            "spec:\n  replicas: {{ .Values.worker.replicas }}\n  template:\n    spec:\n      containers:\n"
            "        - name: {{ template \"dask.fullname\" . }}-worker\n"
            "          image: \"{{ .Values.worker.image.repository }}:{{ .Values.worker.image.tag }}\"\n"
            "          args:\n            - {{ .Values.worker.image.dask_worker }}\n"
            "            - {{ template \"dask.fullname\" . }}-scheduler:{{ .Values.scheduler.servicePort }}\n"
            "            - --no-dashboard\n")
    return f"{svc}/charts/dask-legacy/templates/dask-worker-deployment.yaml", body


LOOKALIKE = [
    (look_operator_py, 25), (look_daskcluster_yaml, 15), (look_plain_dask, 25),
    (look_other_kubernetes_key, 20), (look_k8s_client, 10), (look_gateway, 8), (look_chart_template, 4),
]


def ctx_requirements(r, P, svc):
    pin = r.choice(["dask-kubernetes==2023.8.1", "dask-kubernetes==2022.12.0", "dask_kubernetes<2024.5",
                    "dask-kubernetes>=2024.5.0"])
    return f"{svc}/requirements-dask.txt", f"dask[distributed]==2023.8.1\n{pin}\ns3fs==2023.6.0\n"


def ctx_markdown(r, P, svc):
    body = (f"# Compute runbook\n\n{paragraph(r)}\n\nWe still start the classic `KubeCluster` from "
            "`dask_kubernetes` in the nightly jobs; see the migration plan to the Dask Operator.\n\n"
            "```python\nfrom dask_kubernetes.operator import KubeCluster\ncluster = KubeCluster(name=\"nightly\")\n```\n\n"
            f"{paragraph(r)}\n")
    return f"{svc}/docs/compute.md", body


CONTEXT = [(ctx_requirements, 1), (ctx_markdown, 1)]

# ---------------------------------------------------------------------------
# Tree layout
# ---------------------------------------------------------------------------


def plan_dirs(r):
    services = list(dict.fromkeys(f"services/{t}-{n}" for t in TEAMS for n in r.sample(NOUNS, 3)))
    libs = [f"libs/{n}" for n in r.sample(NOUNS, 25)]
    py_dirs, ts_dirs = [], []
    for s in services:
        pkg = s.split("/")[1].replace("-", "_")
        for sub in r.sample(NOUNS, r.randint(2, 6)):
            py_dirs.append(f"{s}/src/{pkg}/{sub}")
            if r.random() < 0.4:
                py_dirs.append(f"{s}/src/{pkg}/{sub}/{r.choice(NOUNS)}")
        py_dirs.append(f"{s}/tests")
    for l in libs:
        name = l.split("/")[1]
        for sub in r.sample(NOUNS, r.randint(1, 4)):
            py_dirs.append(f"{l}/{name}/{sub}")
        py_dirs.append(f"{l}/tests")
    for app in r.sample(NOUNS, 8):
        for sub in ["components", "pages", "hooks", "api", "utils"]:
            ts_dirs.append(f"web/{app}/src/{sub}")
    return services, libs, py_dirs, ts_dirs


def lognormal(r, median, sigma, lo, hi):
    return int(min(hi, max(lo, r.lognormvariate(math.log(median), sigma))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--files", type=int, default=20000, help="total number of files (default 20000)")
    ap.add_argument("--size-mb", type=float, default=200, help="total size in MB of 10^6 bytes (default 200)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--profile", choices=["monorepo", "dask-shop"], default="monorepo",
                    help="monorepo: ~1%% of files mention Dask; dask-shop: most Python imports dask (default monorepo)")
    ap.add_argument("--relevant-fraction", type=float, default=None,
                    help="share of files with classic usage (default 0.01, or 0.05 for dask-shop)")
    ap.add_argument("--manifest", help="write a JSON list of planted files here")
    a = ap.parse_args()
    shop = a.profile == "dask-shop"
    if a.relevant_fraction is None:
        a.relevant_fraction = 0.05 if shop else 0.01

    out = os.path.abspath(a.out_dir)
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f"gen_corpus: {out} exists and is not empty")
    r = random.Random(a.seed)
    P = Pools(r)
    services, libs, py_dirs, ts_dirs = plan_dirs(r)
    N = a.files
    target = int(a.size_mb * MB)

    files = {}  # path -> size in bytes (content goes straight to disk)
    manifest = []
    made = set()
    os.makedirs(out, exist_ok=True)

    def put(path, data, role=None, kind=None):
        base, ext = os.path.splitext(path)
        i = 1
        while path in files:
            i += 1
            path = f"{base}_{i}{ext}"
        if isinstance(data, str):
            data = data.encode()
        full = os.path.join(out, path)
        d = os.path.dirname(full)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        with open(full, "wb") as f:
            f.write(data)
        files[path] = len(data)
        if role:
            manifest.append({"path": path, "role": role, "kind": kind})
        return path

    def pick(gens):
        return r.choices([g for g, _ in gens], weights=[w for _, w in gens])[0]

    # Fixed scaffolding.
    put(".gitignore", "# generated by bench/gen_corpus.py\nbuild/\ndist/\n__pycache__/\n*.pyc\n.venv/\nnode_modules/\n*.egg-info/\n")
    put("README.md", f"# {COMPANY} monorepo\n\n{paragraph(r, 4, 8)}\n")
    put("Makefile", "test:\n\tpytest -q\n\nlint:\n\truff check .\n")
    put(".gitlab-ci.yml", ci_config(r))
    for i in range(6):
        put(f".github/workflows/{r.choice(VERBS)}-{r.choice(NOUNS)}.yml",
            "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n")

    # Planted files (natural sizes).
    n_rel = max(1, round(N * a.relevant_fraction))
    n_look = max(1, round(N * a.relevant_fraction * 1.3))
    n_ctx = max(1, round(N * 0.002))
    n_ign_rel = max(1, round(n_rel * 0.1))
    for role, count, gens in (("relevant", n_rel, RELEVANT), ("lookalike", n_look, LOOKALIKE), ("context", n_ctx, CONTEXT)):
        for _ in range(count):
            g = pick(gens)
            path, text = g(r, P, r.choice(services))
            put(path, text, role, g.__name__)
    for _ in range(n_ign_rel):  # rendered copies in ignored build/ dirs: must not be reported
        g = pick(RELEVANT)
        path, text = g(r, P, r.choice(services))
        where = r.choice(["build/rendered/", f"{r.choice(services)}/build/"])
        put(where + path.replace("/", "_"), text, "ignored", g.__name__)

    # Filler plan: (path, kind, raw size) for the rest.
    plan = []
    n_fill = N - len(files)
    n_large = max(1, round(N * 0.004))
    n_bin = max(1, round(N * 0.006))
    n_ignored = round(N * 0.05) - n_ign_rel
    n_rest = n_fill - n_large - n_bin - n_ignored
    kinds = [("py", 0.47), ("ts", 0.13), ("md", 0.09), ("k8s", 0.08), ("json", 0.07), ("pkgjson", 0.01),
             ("ci", 0.01), ("helm", 0.01), ("other", 0.10), ("ipynb", 0.03)]
    if shop:  # two thirds Python (half of it dask), a third manifests, a few notebooks
        kinds = [("py", 0.335), ("daskpy", 0.335), ("k8s", 0.26), ("ipynb", 0.02), ("md", 0.015),
                 ("json", 0.01), ("ci", 0.005), ("helm", 0.01), ("other", 0.01)]
    size_model = {"daskpy": (3000, 1.0), "py": (3000, 1.0), "ts": (2500, 0.9), "md": (2500, 1.0), "k8s": (1500, 0.8), "json": (2000, 1.2),
                  "pkgjson": (600, 0.3), "ci": (1500, 0.5), "helm": (800, 0.3), "other": (900, 1.0), "ipynb": (12000, 1.0)}
    for _ in range(n_rest):
        kind = r.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        med, sig = size_model[kind]
        size = lognormal(r, med, sig, 80, 400_000)
        if kind in ("py", "daskpy"):
            d = r.choice(py_dirs)
            path = f"{d}/{r.choice(['__init__', 'test_' + r.choice(NOUNS)] if d.endswith('tests') else [r.choice(NOUNS), r.choice(VERBS) + '_' + r.choice(NOUNS)])}.py"
        elif kind == "ts":
            path = f"{r.choice(ts_dirs)}/{camel(r)}.{r.choice(['ts', 'tsx'])}"
        elif kind == "md":
            path = r.choice([f"docs/{r.choice(NOUNS)}/{r.choice(NOUNS)}-{r.choice(VERBS)}.md",
                             f"{r.choice(services)}/README.md", f"{r.choice(services)}/docs/adr-{r.randint(1, 99):03d}.md"])
        elif kind == "k8s":
            path = r.choice([f"platform/k8s/{r.choice(['dev', 'staging', 'prod'])}/{r.choice(TEAMS)}/{r.choice(NOUNS)}.yaml",
                             f"{r.choice(services)}/deploy/{r.choice(NOUNS)}.yaml"])
        elif kind == "json":
            path = r.choice([f"{r.choice(services)}/tests/fixtures/{r.choice(NOUNS)}.json",
                             f"{r.choice(ts_dirs)}/{r.choice(NOUNS)}.json", f"schemas/{r.choice(NOUNS)}.schema.json"])
        elif kind == "pkgjson":
            path = f"{r.choice(ts_dirs).rsplit('/src/', 1)[0]}/package.json"
        elif kind == "ci":
            path = f"platform/ci/{r.choice(NOUNS)}-{r.choice(VERBS)}.yml"
        elif kind == "helm":
            chart = r.choice(["redis", "postgresql", "grafana", "prometheus", "kafka", "nginx-ingress", "cert-manager"])
            path = f"platform/helm/{chart}/{r.choice(['values', 'values-' + r.choice(['dev', 'staging', 'prod'])])}.yaml"
        elif kind == "ipynb" and shop:
            kind = "daskipynb"
            path = f"notebooks/{r.choice(TEAMS)}/{r.choice(VERBS)}_{r.choice(NOUNS)}_{r.randint(1, 999)}.ipynb"
        elif kind == "ipynb":
            path = f"notebooks/{r.choice(TEAMS)}/{r.choice(VERBS)}_{r.choice(NOUNS)}_{r.randint(1, 999)}.ipynb"
        else:
            d = r.choice(services + ['tools', 'tools/scripts', 'sql'])
            n = r.choice(NOUNS)
            path = r.choice([f"{d}/docker/{n}/Dockerfile", f"{d}/{n}.sh", f"{d}/config/{n}.toml", f"{d}/{n}.sql",
                             f"{d}/requirements/{n}.txt"])
        if kind == "k8s" and shop:
            kind = "daskk8s"
        plan.append([path, kind, size])
    for _ in range(n_large):
        ext = r.choice(["csv", "csv", "jsonl", "log", "json"])
        path = f"data/{r.choice(TEAMS)}/{r.choice(NOUNS)}_{r.randint(2019, 2024)}_{r.randint(1, 12):02d}.{ext}"
        plan.append([path, "data:" + ext, lognormal(r, 900_000, 0.8, 150_000, 8_000_000)])
    for _ in range(n_bin):
        ext = r.choice(["png", "png", "whl", "so", "parquet", "jar", "pkl"])
        d = r.choice(["assets/img", "vendor/wheels", "data/models", f"{r.choice(services)}/tests/fixtures"])
        plan.append([f"{d}/{r.choice(NOUNS)}_{r.randint(1, 9999)}.{ext}", "bin:" + ext, lognormal(r, 60_000, 1.6, 500, 6_000_000)])
    for _ in range(n_ignored):
        kind = r.choice(["py", "py", "py", "json", "k8s", "ts"])
        d = r.choice(["build/lib/" + r.choice(libs).split("/")[1], "build/rendered", f"{r.choice(services)}/build/tmp"])
        ext = {"py": "py", "json": "json", "k8s": "yaml", "ts": "js"}[kind]
        plan.append([f"{d}/{r.choice(NOUNS)}_{r.randint(1, 9999)}.{ext}", kind, lognormal(r, 4000, 1.0, 100, 200_000)])

    fixed = sum(files.values())
    raw = sum(p[2] for p in plan)
    scale = max(0.05, (target - fixed) / raw)
    for p in plan:
        p[2] = max(40, int(p[2] * scale))

    gens = {"py": gen_python, "ts": gen_ts, "md": gen_md, "k8s": gen_k8s, "json": gen_json, "pkgjson": gen_package_json,
            "ci": gen_ci, "helm": lambda r, P, s: helm_values_other(r, "chart"), "other": gen_other,
            "ipynb": lambda r, P, s: gen_notebook(r, P, s)}
    gens.update({"daskpy": gen_dask_python, "daskk8s": gen_dask_k8s, "daskipynb": gen_dask_notebook})
    for path, kind, size in plan:
        if kind.startswith("data:"):
            data = gen_data(r, P, size, kind[5:])
        elif kind.startswith("bin:"):
            data = gen_binary(r, size, kind[4:])
        else:
            data = gens[kind](r, P, size)
        put(path, data)

    # A minimal git skeleton so that ripgrep and dusk (both
    # via the `ignore` crate, which only honours .gitignore inside a git repo)
    # treat `.gitignore` the way they would in a checkout.
    for d in ("objects", "refs/heads", "refs/tags"):
        os.makedirs(os.path.join(out, ".git", d), exist_ok=True)
    with open(os.path.join(out, ".git", "HEAD"), "w") as f:
        f.write("ref: refs/heads/main\n")
    with open(os.path.join(out, ".git", "config"), "w") as f:
        f.write("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n")

    def ignored(p):
        return p.startswith("build/") or "/build/" in p

    roles = {}
    for m in manifest:
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    summary = {
        "out_dir": out, "seed": a.seed, "profile": a.profile,
        "files": len(files), "bytes": sum(files.values()),
        "files_not_ignored": sum(1 for p in files if not ignored(p)),
        "bytes_not_ignored": sum(v for p, v in files.items() if not ignored(p)),
        "largest_file_bytes": max(files.values()),
        "files_over_1mb": sum(1 for v in files.values() if v > MB),
        "planted": roles,
        "relevant_fraction": round(roles.get("relevant", 0) / len(files), 4),
    }
    if a.manifest:
        with open(a.manifest, "w") as f:
            json.dump({"summary": summary, "files": manifest}, f, indent=1)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
