from prefect.executors import DaskExecutor

# Prefect 1 builds the cluster from a dotted class name.
executor = DaskExecutor(
    cluster_class="dask_kubernetes.KubeCluster",
    cluster_kwargs={"n_workers": 3},
)
