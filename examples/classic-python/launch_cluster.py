"""Start the nightly feature-engineering cluster (classic dask-kubernetes)."""

import dask
from dask.distributed import Client
from dask_kubernetes import KubeCluster, make_pod_spec

dask.config.set({"kubernetes.scheduler-service-type": "LoadBalancer"})

pod_spec = make_pod_spec(
    image="ghcr.io/acme/features:2023.8.0",
    memory_limit="6G",
    memory_request="6G",
    cpu_limit=2,
    cpu_request=2,
    threads_per_worker=2,
    env={"EXTRA_PIP_PACKAGES": "s3fs"},
)

cluster = KubeCluster(
    pod_spec,
    name="features-nightly",
    namespace="analytics",
    deploy_mode="remote",
    scheduler_service_wait_timeout=120,
)
cluster.adapt(minimum=2, maximum=20, target_duration="30s")
client = Client(cluster)
