//! Find the cluster the way kubectl does and build the one `kube::Client` dusk uses.
//!
//! Order: `--kubeconfig PATH`; else `KUBECONFIG` (a list of files, merged) or
//! `~/.kube/config`; else, when neither exists and dusk runs in a pod, the in-cluster service
//! account. `--context` picks a context (default: the current one), `--namespace` overrides
//! the context's namespace (default `default`). The context used is returned so every
//! command can say which cluster it is talking to. Makes no request.
//!
//! Like kubectl: `proxy-url` (`http://`, `https://`, with user info) is honoured, and an
//! `exec` credential plugin runs under `--request-timeout`. kube runs the plugin while the
//! client is built, blocking; so the client is built on its own thread and abandoned with a
//! clear error when the deadline passes (a plugin waiting for a login would otherwise hang
//! the command silently).

use super::Error;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the cluster, as the command line gave it.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// The longest any one request may take.
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            namespace: None,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A client and what it points at.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context, or `in-cluster`.
    pub context: String,
    /// The API server URL.
    pub server: String,
    /// The namespace objects without one go to.
    pub namespace: String,
    pub request_timeout: Duration,
}

impl Connection {
    /// `context `kind-dev` (https://127.0.0.1:6443)`, for the line every command prints.
    pub fn describe(&self) -> String {
        format!("context `{}` ({})", self.context, self.server)
    }
}

/// The name reported for the in-cluster service-account configuration.
pub const IN_CLUSTER: &str = "in-cluster";

/// Load the configuration and build a client. Never contacts the server.
pub async fn connect(opts: &ConnectOptions) -> Result<Connection, Error> {
    let mut exec_command = None;
    let (mut config, context) = match load_kubeconfig(opts)? {
        Some((kubeconfig, path)) => {
            let context = pick_context(&kubeconfig, opts.context.as_deref())?;
            exec_command = exec_plugin(&kubeconfig, &context);
            let options = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|source| Error::Kubeconfig { path, source })?;
            (config, context)
        }
        None => {
            let config = Config::incluster().map_err(|_| Error::NoConfig {
                source: KubeconfigError::FindPath,
            })?;
            (config, IN_CLUSTER.to_owned())
        }
    };
    config.connect_timeout = Some(opts.request_timeout.min(Duration::from_secs(10)));
    if let Some(ns) = &opts.namespace {
        config.default_namespace = ns.clone();
    }
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let namespace = config.default_namespace.clone();
    let client = match exec_command {
        None => Client::try_from(config),
        Some(command) => build_bounded(config, opts.request_timeout)
            .await
            .ok_or_else(|| Error::ExecTimeout {
                context: context.clone(),
                command,
                seconds: opts.request_timeout.as_secs().max(1),
            })?,
    }
    .map_err(|source| Error::Client {
        context: context.clone(),
        source,
    })?;
    Ok(Connection {
        client,
        context,
        server,
        namespace,
        request_timeout: opts.request_timeout,
    })
}

/// The `exec` credential plugin command of the context's user, if it has one.
fn exec_plugin(kubeconfig: &Kubeconfig, context: &str) -> Option<String> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    let exec = kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?;
    Some(exec.command.clone().unwrap_or_else(|| "exec".to_owned()))
}

/// Build the client on its own thread, within `timeout`; `None` when it did not finish (the
/// thread, blocked in the plugin, is left behind and ends with the process).
async fn build_bounded(config: Config, timeout: Duration) -> Option<Result<Client, kube::Error>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("dusk-credential-plugin".into())
        .spawn(move || {
            // kube's client spawns its request buffer on the runtime.
            let _entered = handle.enter();
            let _ = tx.send(Client::try_from(config));
        })
        .ok()?;
    // Polled, so the runtime (one thread) keeps running while the plugin works.
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match rx.try_recv() {
            Ok(result) => return Some(result),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The kubeconfig to use and the path to name in errors, or `None` to try in-cluster.
fn load_kubeconfig(opts: &ConnectOptions) -> Result<Option<(Kubeconfig, PathBuf)>, Error> {
    if let Some(path) = &opts.kubeconfig {
        return Kubeconfig::read_from(path)
            .map(|k| Some((k, path.clone())))
            .map_err(|source| Error::Kubeconfig {
                path: path.clone(),
                source,
            });
    }
    let described = std::env::var_os("KUBECONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".kube").join("config")))
        .unwrap_or_else(|| PathBuf::from("~/.kube/config"));
    match Kubeconfig::read() {
        Ok(k) => Ok(Some((k, described))),
        Err(e) if is_missing(&e) => {
            if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() && opts.context.is_none() {
                Ok(None)
            } else {
                Err(Error::NoConfig { source: e })
            }
        }
        Err(source) => Err(Error::Kubeconfig {
            path: described,
            source,
        }),
    }
}

fn is_missing(e: &KubeconfigError) -> bool {
    match e {
        KubeconfigError::FindPath => true,
        KubeconfigError::ReadConfig(io, _) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// The context asked for, or the current one; an unknown name lists the known ones.
fn pick_context(kubeconfig: &Kubeconfig, asked: Option<&str>) -> Result<String, Error> {
    let name = match asked.or(kubeconfig.current_context.as_deref()) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => return Err(Error::NoCurrentContext),
    };
    if kubeconfig.contexts.iter().any(|c| c.name == name) {
        return Ok(name);
    }
    let known: Vec<String> = kubeconfig
        .contexts
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect();
    Err(Error::UnknownContext {
        context: name,
        known: if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: {server: 'http://127.0.0.1:1'}\ncontexts:\n- name: one\n  context: {cluster: a, namespace: dask}\n- name: two\n  context: {cluster: a}\ncurrent-context: one\n";

    #[test]
    fn contexts_are_picked_like_kubectl() {
        let k = Kubeconfig::from_yaml(CONFIG).unwrap();
        assert_eq!(pick_context(&k, None).unwrap(), "one");
        assert_eq!(pick_context(&k, Some("two")).unwrap(), "two");
        let err = pick_context(&k, Some("three")).unwrap_err();
        assert_eq!(err.to_string(), "the kubeconfig has no context `three`");
        assert!(matches!(err, Error::UnknownContext { known, .. } if known == "`one`, `two`"));
    }

    #[tokio::test]
    async fn namespace_comes_from_the_flag_then_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).unwrap();
        let mut opts = ConnectOptions {
            kubeconfig: Some(path),
            ..Default::default()
        };
        let conn = connect(&opts).await.unwrap();
        assert_eq!(
            (conn.context.as_str(), conn.namespace.as_str()),
            ("one", "dask")
        );
        assert_eq!(conn.server, "http://127.0.0.1:1");
        opts.context = Some("two".into());
        assert_eq!(connect(&opts).await.unwrap().namespace, "default");
        opts.namespace = Some("ml".into());
        assert_eq!(connect(&opts).await.unwrap().namespace, "ml");
    }
}
