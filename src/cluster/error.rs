//! Why a cluster command could not run: one variant per failure the user can act on.
//!
//! Every variant that comes from the API server keeps its `Status` as the `#[source]` (kube's
//! `Api(Box<Status>)`), so nothing the server said is lost, while the message says what was
//! refused and the help says what to do. Built by [`super::api`]; never printed here.

use kube::core::Status;
use miette::{LabeledSpan, NamedSource};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error("cannot load the kubeconfig `{}`", path.display())]
    #[diagnostic(
        code(dusk::cluster::kubeconfig),
        help("check the file, or pick another with `--kubeconfig PATH` or `KUBECONFIG`")
    )]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },

    #[error("no kubeconfig found, and not running inside a cluster")]
    #[diagnostic(
        code(dusk::cluster::no_config),
        help(
            "point `KUBECONFIG` or `--kubeconfig` at a kubeconfig, or create `~/.kube/config`; inside a pod, mount a service account token"
        )
    )]
    NoConfig {
        #[source]
        source: kube::config::KubeconfigError,
    },

    #[error("the kubeconfig has no context `{context}`")]
    #[diagnostic(
        code(dusk::cluster::unknown_context),
        help("known contexts: {known}; `kubectl config get-contexts` lists them")
    )]
    UnknownContext { context: String, known: String },

    #[error("the kubeconfig has no current context")]
    #[diagnostic(
        code(dusk::cluster::no_context),
        help("pick one with `--context NAME`, or `kubectl config use-context NAME`")
    )]
    NoCurrentContext,

    #[error("cannot use context `{context}`")]
    #[diagnostic(code(dusk::cluster::client))]
    Client {
        context: String,
        #[source]
        source: kube::Error,
    },

    #[error(
        "the credential plugin `{command}` of context `{context}` did not finish within {seconds}s"
    )]
    #[diagnostic(
        code(dusk::cluster::exec_timeout),
        help(
            "the kubeconfig's `exec` plugin is waiting (for a login, a prompt, the network): run it by hand, or allow more time with `--request-timeout 60`"
        )
    )]
    ExecTimeout {
        context: String,
        command: String,
        seconds: u64,
    },

    #[error("the API server at `{server}` presents a CA certificate as its own certificate")]
    #[diagnostic(
        code(dusk::cluster::ca_as_server_cert),
        help(
            "the server certificate is self-signed with `CA:TRUE` and is also the kubeconfig's certificate authority; kubectl accepts that, dusk's TLS library (rustls) refuses it. Issue the server a certificate with `CA:FALSE` signed by that CA (kubeadm, k3s and kind do), or, for a throw-away cluster only, set `insecure-skip-tls-verify: true` for it"
        )
    )]
    CaAsServerCert {
        server: String,
        context: String,
        #[source]
        source: kube::Error,
    },

    #[error("cannot reach the API server at `{server}`")]
    #[diagnostic(
        code(dusk::cluster::unreachable),
        help(
            "check that the cluster is running and reachable from here (VPN, proxy, firewall); `kubectl --context {context} cluster-info` shows the same problem"
        )
    )]
    Unreachable {
        server: String,
        context: String,
        #[source]
        source: kube::Error,
    },

    #[error("the API server at `{server}` did not answer `{request}` within {seconds}s")]
    #[diagnostic(
        code(dusk::cluster::timeout),
        help(
            "the server or the network is slow or overloaded: retry, or allow more time with `--request-timeout 60`"
        )
    )]
    Timeout {
        server: String,
        request: String,
        seconds: u64,
    },

    #[error("the API server rejected the credentials of context `{context}` (401 Unauthorized)")]
    #[diagnostic(
        code(dusk::cluster::unauthorized),
        help(
            "the token or client certificate is missing, wrong or expired: log in again (for a cloud cluster, refresh its credentials), then check with `kubectl --context {context} auth whoami`"
        )
    )]
    Unauthorized {
        context: String,
        #[source]
        status: Box<Status>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Forbidden(Box<Forbidden>),

    #[error("the Dask Operator is not installed in context `{context}`: no CRD {missing}")]
    #[diagnostic(
        code(dusk::cluster::crd_missing),
        help(
            "install the operator and its CRDs, then run dusk again:\n  {install}\n(https://kubernetes.dask.org/en/latest/installing.html)",
            install = super::INSTALL_COMMAND
        ),
        url("https://kubernetes.dask.org/en/latest/installing.html")
    )]
    CrdMissing { context: String, missing: String },

    #[error("namespace `{namespace}` does not exist")]
    #[diagnostic(
        code(dusk::cluster::namespace_missing),
        help(
            "dusk does not create namespaces: create it with `kubectl create namespace {namespace}`, or set `metadata.namespace` / `--namespace`"
        )
    )]
    NamespaceMissing {
        namespace: String,
        #[source]
        status: Box<Status>,
    },

    #[error("{object}: {fields} {are} managed by {managers} (409 Conflict)")]
    #[diagnostic(
        code(dusk::cluster::conflict),
        help(
            "another tool set these fields to other values; rerun with `--force-conflicts` to make field manager `dusk` their owner, or drop them from the manifest"
        )
    )]
    Conflict {
        object: String,
        managers: String,
        fields: String,
        are: &'static str,
        #[source]
        status: Box<Status>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<Invalid>),

    #[error("`{request}` failed: {message} ({code} {reason})")]
    #[diagnostic(code(dusk::cluster::api))]
    Api {
        request: String,
        message: String,
        code: u16,
        reason: String,
        #[source]
        status: Box<Status>,
    },

    #[error("the API server answered `{request}` with something that is not a Kubernetes object")]
    #[diagnostic(code(dusk::cluster::bad_response))]
    BadResponse {
        request: String,
        #[source]
        source: kube::Error,
    },

    #[error("stopped after applying {applied_count} of {total} objects")]
    #[diagnostic(
        code(dusk::cluster::partial),
        help(
            "{cause_help}applied: {applied}\nnot applied: {not_applied}\nfix the error, then run `dusk apply` again: objects already applied show no changes"
        )
    )]
    Partial {
        applied_count: usize,
        total: usize,
        applied: String,
        not_applied: String,
        /// The cause's own help, since miette shows only its message in the chain.
        cause_help: String,
        #[source]
        cause: Box<Error>,
    },

    #[error(
        "refusing to change the cluster without confirmation: standard input is not a terminal"
    )]
    #[diagnostic(
        code(dusk::cluster::needs_yes),
        help("review the plan above, then rerun with `--yes`")
    )]
    NeedsYes,

    #[error("cannot read `{path}`")]
    #[diagnostic(code(dusk::cluster::read))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not valid YAML: {message}")]
    #[diagnostic(code(dusk::cluster::yaml), help("`dusk check {path}` shows where"))]
    Yaml { path: String, message: String },

    #[error("{path}:{line}: {message}")]
    #[diagnostic(code(dusk::cluster::bad_object))]
    BadObject {
        path: String,
        line: usize,
        message: String,
    },

    #[error("no Dask Operator resources (`apiVersion: kubernetes.dask.org/v1`) in {paths}")]
    #[diagnostic(
        code(dusk::cluster::nothing_to_plan),
        help(
            "give files with DaskCluster, DaskWorkerGroup, DaskAutoscaler or DaskJob objects, or use `--from-cluster` to build them from classic Dask running in the cluster"
        )
    )]
    NothingToPlan { paths: String },

    #[error("{object} sets namespace `{in_file}` but `--namespace {flag}` was given")]
    #[diagnostic(
        code(dusk::cluster::namespace_mismatch),
        help("drop `--namespace`, or change `metadata.namespace` in the file")
    )]
    NamespaceMismatch {
        object: String,
        in_file: String,
        flag: String,
    },

    #[error("{object} did not report `status.phase: Running` within {seconds}s")]
    #[diagnostic(
        code(dusk::cluster::not_running),
        help(
            "the classic resources were kept; check the operator's logs and `kubectl describe`, then rerun `dusk apply --prune-classic` once it runs"
        )
    )]
    NotRunning { object: String, seconds: u64 },

    #[error("cannot build a DaskCluster from {from}: {reason}")]
    #[diagnostic(
        code(dusk::cluster::cannot_build),
        help(
            "write the DaskCluster by hand (`dusk fix` can start it from a pod template), then `dusk plan` the file"
        )
    )]
    CannotBuild { from: String, reason: String },

    #[error("`{flag}` chooses the cluster `dusk check` reads, but `--cluster` was not given")]
    #[diagnostic(
        code(dusk::cluster::needs_cluster),
        help("add `--cluster` to check the live cluster")
    )]
    NeedsCluster { flag: &'static str },

    #[error("cannot start the async runtime")]
    #[diagnostic(code(dusk::cluster::runtime))]
    Runtime(#[source] std::io::Error),

    #[error("cannot read the answer to the confirmation prompt")]
    #[diagnostic(code(dusk::cluster::prompt))]
    Prompt(#[source] std::io::Error),
}

/// A request RBAC refused: who, what, and the rule that would allow it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{user} may not `{verb}` `{resource}` {scope} (403 Forbidden)")]
#[diagnostic(
    code(dusk::cluster::forbidden),
    help("ask a cluster admin for this RBAC rule in {binding}:\n{rule}\ncheck with `{can_i}`")
)]
pub struct Forbidden {
    pub user: String,
    pub verb: String,
    pub resource: String,
    pub scope: String,
    pub binding: String,
    pub rule: String,
    pub can_i: String,
    #[source]
    pub status: Box<Status>,
}

/// An object the API server rejected (422 Invalid, or a strict-validation 400), with each
/// rejected field mapped back to the file it came from when it came from one.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the API server rejected {object}{origin} ({code} {reason})")]
#[diagnostic(code(dusk::cluster::invalid))]
pub struct Invalid {
    pub object: String,
    /// `` from `file.yaml` `` when the object came from a file.
    pub origin: String,
    pub code: u16,
    pub reason: String,
    pub causes: Vec<InvalidCause>,
    #[help]
    pub help: Option<String>,
    #[source_code]
    pub source_code: Option<NamedSource<String>>,
    #[label(collection)]
    pub labels: Vec<LabeledSpan>,
    #[source]
    pub status: Box<Status>,
}

/// One field the API server found invalid, and where it came from when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCause {
    /// The field as the server names it: `spec.worker.replicas`.
    pub field: String,
    pub message: String,
    /// `cluster.yaml:12:9`, when the object came from a file and the field was found there.
    pub location: Option<String>,
}

impl Error {
    /// Wrap the error that stopped an apply with what was and was not applied.
    pub fn partial(cause: Error, applied: &[String], not_applied: &[String]) -> Error {
        use miette::Diagnostic;
        let cause_help = cause.help().map(|h| format!("{h}\n")).unwrap_or_default();
        Error::Partial {
            applied_count: applied.len(),
            total: applied.len() + not_applied.len(),
            applied: applied.join(", "),
            not_applied: not_applied.join(", "),
            cause_help,
            cause: Box::new(cause),
        }
    }

    /// The server's `Status`, if this error came from one.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::NamespaceMissing { status, .. }
            | Error::Conflict { status, .. }
            | Error::Api { status, .. } => Some(status),
            Error::Forbidden(f) => Some(&f.status),
            Error::Invalid(i) => Some(&i.status),
            Error::Partial { cause, .. } => cause.status(),
            _ => None,
        }
    }
}
