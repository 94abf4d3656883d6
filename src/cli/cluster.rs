//! What every cluster command shares on the command line: the connection flags turned into
//! a connection (saying which context is used), standard streams that tests can replace,
//! the progress bar, and `dusk check --cluster`.

use super::args::{CheckArgs, ClusterConnArgs};
use super::check::Scan;
use super::{Error, ExitStatus};
use crate::cluster::api::Api;
use crate::cluster::connect::{ConnectOptions, Connection, connect};
use crate::cluster::{self, Scope, scan, workflow};
use crate::report::{FileReport, Summary};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Standard streams, or buffers in tests.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Standard input and error are a terminal: dusk may ask and draw progress bars.
    pub terminal: bool,
    /// Reads the answer to a confirmation prompt.
    pub read_answer: &'a mut dyn FnMut() -> std::io::Result<String>,
}

/// Run `f` with the process's standard streams.
pub fn with_std_io<T>(f: impl FnOnce(&mut Io<'_>) -> T) -> T {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut read_answer = || {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    };
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        read_answer: &mut read_answer,
    };
    f(&mut io)
}

/// A single-threaded runtime: cluster commands make one request at a time.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(cluster::Error::Runtime(e)))
}

pub fn connect_options(conn: &ClusterConnArgs) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: conn.kubeconfig.clone(),
        context: conn.context.clone(),
        namespace: conn.namespace.clone(),
        request_timeout: Duration::from_secs(conn.request_timeout.max(1)),
    }
}

/// Whether any connection flag was given (they mean nothing to `check` without `--cluster`).
pub fn conn_flags_given(conn: &ClusterConnArgs) -> bool {
    conn.kubeconfig.is_some()
        || conn.context.is_some()
        || conn.namespace.is_some()
        || conn.all_namespaces
}

/// Connect, print the context on standard error, and make sure the server answers.
pub async fn open(
    conn_args: &ClusterConnArgs,
    io: &mut Io<'_>,
) -> Result<(Connection, Api), cluster::Error> {
    let conn = connect(&connect_options(conn_args)).await?;
    let scope = if conn_args.all_namespaces {
        "all namespaces".to_owned()
    } else {
        format!("namespace `{}`", conn.namespace)
    };
    // Always said, so nobody applies to the wrong cluster unawares.
    let _ = writeln!(io.err, "dusk: {}, {scope}", conn.describe());
    let api = Api::new(&conn);
    api.server_version().await?;
    Ok((conn, api))
}

pub fn scope(conn_args: &ClusterConnArgs, conn: &Connection) -> Scope {
    if conn_args.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(conn.namespace.clone())
    }
}

/// A progress bar on a terminal; nothing otherwise.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(io: &Io<'_>, what: &str) -> Progress {
        if !io.terminal {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_owned());
        Progress(Some(bar))
    }

    pub fn update(&self, done: usize, total: usize, label: &str) {
        if let Some(bar) = &self.0 {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(label.to_owned());
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

pub fn check_with_std_io(args: &CheckArgs) -> Result<ExitStatus, Error> {
    with_std_io(|io| check_cluster(args, io))
}

/// `dusk check --cluster`: findings about live objects (and files, when paths are given),
/// in any report format.
pub fn check_cluster(args: &CheckArgs, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    if !args.live.cluster {
        let c = &args.live.conn;
        let flag = if c.kubeconfig.is_some() {
            "--kubeconfig"
        } else if c.context.is_some() {
            "--context"
        } else if c.namespace.is_some() {
            "--namespace"
        } else {
            "--all-namespaces"
        };
        return Err(cluster::Error::NeedsCluster { flag }.into());
    }
    let scan_settings = Scan::build(&args.scan, args.fail_on)?;
    let settings = scan_settings.settings();
    let progress = Progress::new(io, "scanning");
    let live = runtime()?.block_on(async {
        let (conn, api) = open(&args.live.conn, io).await?;
        let scope = scope(&args.live.conn, &conn);
        workflow::gather(&api, &scope, &|d, t, l| progress.update(d, t, l)).await
    });
    progress.finish();
    let live = live?;
    describe_operator(&live, io);
    let findings = scan::findings(&live, &settings);
    let mut scanned = live.object_count();
    let path = format!("cluster:{}", live.context);
    // The listed objects are not needed past their findings: a big cluster's pods are most
    // of the scan's memory, and the report is still to be written.
    drop(live);
    let mut reports = Vec::new();
    if !findings.is_empty() {
        reports.push(FileReport {
            path,
            text: None,
            notebook: None,
            findings,
        });
    }
    if !args.scan.paths.is_empty() {
        let (files, file_reports) = scan_settings.run();
        scanned += files;
        reports.extend(file_reports);
    }
    let summary = Summary::of(scanned, &reports);
    let color = super::check::use_color(args.color, args.output.is_none());
    let format = super::check::format(args.format, args.output.is_none());
    // Written as it is rendered, not rendered whole first: 60,000 pods make 60,000 findings.
    let render = |out: &mut dyn Write| {
        crate::report::render(format, &reports, &summary, color, out).and_then(|()| out.flush())
    };
    match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| render(&mut std::io::BufWriter::new(file)))
            .map_err(|source| Error::Output {
                path: path.clone(),
                source,
            })?,
        None => {
            if let Err(e) = render(&mut *io.out)
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(output_error(args, e));
            }
        }
    }
    Ok(scan_settings.status(&summary))
}

fn output_error(args: &CheckArgs, source: std::io::Error) -> Error {
    Error::Output {
        path: args.output.clone().unwrap_or_else(|| "<stdout>".into()),
        source,
    }
}

/// One line on standard error about the operator: its version, or that it is missing.
fn describe_operator(live: &scan::Live, io: &mut Io<'_>) {
    let installed = live.crds.iter().all(|(_, i)| *i);
    let line = match (&live.operator, installed) {
        (Some(op), _) => format!(
            "dusk: Dask Operator {} (`{}` in namespace `{}`)",
            op.version
                .as_ref()
                .map_or("of unknown version".to_owned(), ToString::to_string),
            op.image,
            op.namespace
        ),
        (None, true) => "dusk: Dask Operator CRDs installed; controller not found".to_owned(),
        (None, false) => "dusk: Dask Operator not installed".to_owned(),
    };
    let _ = writeln!(io.err, "{line}");
}
