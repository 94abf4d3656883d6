from dask_kubernetes import KubeCluster

# The worker template lives next to this script.
cluster = KubeCluster.from_yaml("worker-spec.yaml", n_workers=4)
cluster.scale_up(6)
