"""Start the team's Dask cluster for the nightly feature build."""
from dask.distributed import Client
from dask_kubernetes import KubeCluster, make_pod_spec

pod_spec = make_pod_spec(
    image="ghcr.io/dask/dask:2023.8.1",
    memory_limit="6G",
    memory_request="6G",
    cpu_limit=2,
    cpu_request=2,
    env={"EXTRA_PIP_PACKAGES": "pyarrow"},
)

cluster = KubeCluster(pod_spec, namespace="features", deploy_mode="remote")
cluster.adapt(minimum=1, maximum=10, target_duration="30s")
client = Client(cluster)
