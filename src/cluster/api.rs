//! Every call dusk makes to the API server, and what each failure means to the user.
//!
//! Receives a `kube::Client` (built by [`super::connect`]; never builds one) and speaks raw
//! JSON, so objects come back exactly as the server stored them. Each call has a deadline;
//! every failure becomes one [`Error`] naming the verb and resource that failed, with the
//! server's `Status` kept as its source.

use super::connect::Connection;
use super::{Error, FIELD_MANAGER, Kind, OPERATOR_GROUP, Scope};
use kube::Client;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::core::{Request, Status};
use serde_json::Value;
use std::time::Duration;

/// Send a request built by kube-core, bounded by the deadline, naming it by method and path.
/// (A macro because the request's type lives in the `http` crate, which dusk does not name.)
macro_rules! send {
    ($api:expr, $request:expr, $call:expr) => {{
        let request = $request;
        let described = format!(
            "{} {}",
            request.method(),
            request.uri().path_and_query().map_or("/", |p| p.as_str())
        );
        $api.bounded($api.client.request::<Value>(request), $call, &described)
            .await
    }};
}

/// A client with the context it points at, for messages.
#[derive(Clone)]
pub struct Api {
    client: Client,
    context: String,
    server: String,
    timeout: Duration,
}

/// What a request was about, for error messages.
#[derive(Debug, Clone)]
pub struct Call {
    pub verb: &'static str,
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Call {
    fn describe(&self) -> String {
        let mut s = format!("{} {}", self.verb, self.kind.resource());
        if let Some(name) = &self.name {
            s.push('/');
            s.push_str(name);
        }
        match &self.namespace {
            Some(ns) if self.kind.namespaced => s.push_str(&format!(" -n {ns}")),
            None if self.kind.namespaced => s.push_str(" -A"),
            _ => {}
        }
        s
    }
}

/// How a server-side apply runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyMode {
    /// `dryRun=All`: the server validates, defaults and merges, and stores nothing.
    pub dry_run: bool,
    /// Take ownership of fields other managers own.
    pub force: bool,
}

impl Api {
    pub fn new(conn: &Connection) -> Api {
        Api {
            client: conn.client.clone(),
            context: conn.context.clone(),
            server: conn.server.clone(),
            timeout: conn.request_timeout,
        }
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    /// Await one call of the client, bounded by the deadline.
    async fn bounded<T>(
        &self,
        call_future: impl Future<Output = kube::Result<T>>,
        call: &Call,
        described: &str,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.timeout, call_future).await {
            Err(_) => Err(Error::Timeout {
                server: self.server.clone(),
                request: described.to_owned(),
                seconds: self.timeout.as_secs().max(1),
            }),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.classify(e, call, described)),
        }
    }

    /// The server's version (`v1.37.0`); the first call of every command, so an
    /// unreachable server or rejected credentials fail fast and clearly.
    pub async fn server_version(&self) -> Result<String, Error> {
        let call = Call {
            verb: "get",
            kind: Kind::NAMESPACE,
            namespace: None,
            name: None,
        };
        let info = self
            .bounded(self.client.apiserver_version(), &call, "GET /version")
            .await?;
        Ok(info.git_version)
    }

    /// One object, or `None` if it does not exist.
    pub async fn get(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, Error> {
        let call = Call {
            verb: "get",
            kind,
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
        };
        let request = Request::new(kind.collection_path(namespace))
            .get(name, &Default::default())
            .map_err(|e| self.bad_request(&e.to_string()))?;
        match send!(self, request, &call) {
            Ok(v) => Ok(Some(v)),
            Err(Error::Api { status, .. }) if status.reason == "NotFound" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every object of a kind in scope matching `selector`, following pagination. Items get
    /// the `apiVersion` and `kind` that list responses leave out.
    pub async fn list(
        &self,
        kind: Kind,
        scope: &Scope,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        self.list_each(kind, scope, selector, |item| items.push(item))
            .await?;
        Ok(items)
    }

    /// [`Api::list`], handing each item to `each` as its page arrives, so a caller that
    /// needs only part of every object (a scan of 60,000 pods) never holds them all whole.
    pub async fn list_each(
        &self,
        kind: Kind,
        scope: &Scope,
        selector: Option<&str>,
        mut each: impl FnMut(Value),
    ) -> Result<(), Error> {
        let call = Call {
            verb: "list",
            kind,
            namespace: scope.namespace().map(str::to_owned),
            name: None,
        };
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(500);
            if let Some(s) = selector {
                params = params.labels(s);
            }
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let request = Request::new(kind.collection_path(scope.namespace()))
                .list(&params)
                .map_err(|e| self.bad_request(&e.to_string()))?;
            let mut page = send!(self, request, &call)?;
            if let Some(Value::Array(page_items)) = page.get_mut("items").map(Value::take) {
                for mut item in page_items {
                    if let Some(obj) = item.as_object_mut() {
                        obj.entry("apiVersion")
                            .or_insert_with(|| kind.api_version().into());
                        obj.entry("kind").or_insert_with(|| kind.kind.into());
                    }
                    each(item);
                }
            }
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// Server-side apply `body` with field manager `dusk` and strict field validation;
    /// returns the object as the server stored it (or would have, in a dry run).
    pub async fn apply(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
        body: &Value,
        mode: ApplyMode,
    ) -> Result<Value, Error> {
        let call = Call {
            verb: "patch",
            kind,
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
        };
        let mut params = PatchParams::apply(FIELD_MANAGER).validation_strict();
        if mode.dry_run {
            params = params.dry_run();
        }
        if mode.force {
            params = params.force();
        }
        let request = Request::new(kind.collection_path(namespace))
            .patch(name, &params, &Patch::Apply(body))
            .map_err(|e| self.bad_request(&e.to_string()))?;
        send!(self, request, &call)
    }

    /// Delete one object; one already gone is not an error.
    pub async fn delete(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), Error> {
        let call = Call {
            verb: "delete",
            kind,
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
        };
        let request = Request::new(kind.collection_path(namespace))
            .delete(name, &DeleteParams::background())
            .map_err(|e| self.bad_request(&e.to_string()))?;
        match send!(self, request, &call) {
            Ok(_) => Ok(()),
            Err(Error::Api { status, .. }) if status.reason == "NotFound" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the CRD of an operator kind is installed. Reading CRDs is often not allowed
    /// to ordinary users; then the group's discovery document (readable by every
    /// authenticated user) answers instead.
    pub async fn crd_installed(&self, kind: Kind) -> Result<bool, Error> {
        match self.get(Kind::CRD, None, &kind.crd_name()).await {
            Ok(found) => Ok(found.is_some()),
            Err(Error::Forbidden(_)) => self.served_by_discovery(kind).await,
            Err(e) => Err(e),
        }
    }

    async fn served_by_discovery(&self, kind: Kind) -> Result<bool, Error> {
        let call = Call {
            verb: "get",
            kind,
            namespace: None,
            name: None,
        };
        let group_version = kind.api_version();
        let described = format!("GET /apis/{group_version}");
        let found = self
            .bounded(
                self.client.list_api_group_resources(&group_version),
                &call,
                &described,
            )
            .await;
        match found {
            Ok(list) => Ok(list.resources.iter().any(|r| r.name == kind.plural)),
            Err(Error::Api { status, .. }) if status.code == 404 => Ok(false),
            Err(Error::CrdMissing { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn bad_request(&self, message: &str) -> Error {
        Error::Api {
            request: "build request".into(),
            message: message.to_owned(),
            code: 0,
            reason: "BadRequest".into(),
            status: Box::new(Status::failure(message, "BadRequest")),
        }
    }

    /// Turn a failed call into the error the user can act on.
    fn classify(&self, e: kube::Error, call: &Call, request: &str) -> Error {
        let status = match e {
            kube::Error::Api(status) => status,
            kube::Error::SerdeError(_) => {
                return Error::BadResponse {
                    request: request.to_owned(),
                    source: e,
                };
            }
            other if error_chain(&other).contains("CaUsedAsEndEntity") => {
                return Error::CaAsServerCert {
                    server: self.server.clone(),
                    context: self.context.clone(),
                    source: other,
                };
            }
            other => {
                return Error::Unreachable {
                    server: self.server.clone(),
                    context: self.context.clone(),
                    source: other,
                };
            }
        };
        match status.code {
            401 => Error::Unauthorized {
                context: self.context.clone(),
                status,
            },
            403 => forbidden(call, status),
            404 if is_missing_namespace(&status) => Error::NamespaceMissing {
                namespace: status
                    .details
                    .as_ref()
                    .map(|d| d.name.clone())
                    .or_else(|| call.namespace.clone())
                    .unwrap_or_default(),
                status,
            },
            // An uninstalled CRD's path is not served at all: a plain-text 404, no Status.
            404 if call.kind.group == OPERATOR_GROUP && status.reason != "NotFound" => {
                Error::CrdMissing {
                    context: self.context.clone(),
                    missing: format!("`{}`", call.kind.crd_name()),
                }
            }
            409 if call.verb == "patch" => conflict(call, status),
            422 => invalid(call, status),
            400 if call.verb == "patch" && is_field_error(&status.message) => invalid(call, status),
            _ => Error::Api {
                request: call.describe(),
                message: status.message.clone(),
                code: status.code,
                reason: status.reason.clone(),
                status,
            },
        }
    }
}

fn is_missing_namespace(status: &Status) -> bool {
    status.reason == "NotFound"
        && status
            .details
            .as_ref()
            .is_some_and(|d| d.kind == "namespaces")
}

fn is_field_error(message: &str) -> bool {
    [
        "unknown field",
        "field not declared in schema",
        "strict decoding error",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The text between the first `"` after `after` and the next `"`.
fn quoted_after<'a>(text: &'a str, after: &str) -> Option<&'a str> {
    quoted_after_at(text, after).map(|(quoted, _)| quoted)
}

/// The first `"…"` after `after`, and the byte offset just past its closing quote.
fn quoted_after_at<'a>(text: &'a str, after: &str) -> Option<(&'a str, usize)> {
    let open = text.find(after)? + after.len();
    let start = open + text[open..].find('"')? + 1;
    let end = start + text[start..].find('"')?;
    Some((&text[start..end], end + 1))
}

#[cfg(test)]
mod quoted_tests {
    use super::*;

    #[test]
    fn a_tls_failure_is_recognised_by_its_cause_however_deep() {
        // How rustls' refusal reaches us: wrapped by hyper, the connector and kube.
        #[derive(Debug)]
        struct Rustls;
        impl std::fmt::Display for Rustls {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))")
            }
        }
        impl std::error::Error for Rustls {}
        let io = std::io::Error::other(Rustls);
        let err = kube::Error::Service(Box::new(std::io::Error::other(io)));
        assert!(error_chain(&err).contains("CaUsedAsEndEntity"));
        let other = kube::Error::Service(Box::new(std::io::Error::other("connection refused")));
        assert!(!error_chain(&other).contains("CaUsedAsEndEntity"));
    }

    #[test]
    fn empty_and_repeated_manager_names_terminate() {
        assert_eq!(
            quoted_after_at(r#"conflict with "" using x"#, "conflict with"),
            Some(("", 16))
        );
        assert_eq!(
            quoted_after(r#"a conflict with "helm" b"#, "conflict with"),
            Some("helm")
        );
    }
}

fn forbidden(call: &Call, status: Box<Status>) -> Error {
    let message = &status.message;
    let user = quoted_after(message, "User")
        .map(|u| format!("user `{u}`"))
        .unwrap_or_else(|| "you".to_owned());
    // `… User "x" cannot patch resource "daskclusters" in API group "…"`
    let verb = message
        .split("cannot ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or(call.verb)
        .to_owned();
    let group = call.kind.group;
    let (scope, binding, can_i_scope) = match (&call.namespace, call.kind.namespaced) {
        (Some(ns), true) => (
            format!("in namespace `{ns}`"),
            format!("a Role bound in namespace `{ns}`"),
            format!(" -n {ns}"),
        ),
        (None, true) => (
            "in all namespaces".to_owned(),
            "a ClusterRole with a ClusterRoleBinding".to_owned(),
            " -A".to_owned(),
        ),
        _ => (
            "(cluster-scoped)".to_owned(),
            "a ClusterRole with a ClusterRoleBinding".to_owned(),
            String::new(),
        ),
    };
    let rule = format!(
        "  - apiGroups: [\"{group}\"]\n    resources: [\"{}\"]\n    verbs: [\"{verb}\"]",
        call.kind.plural
    );
    Error::Forbidden(Box::new(super::Forbidden {
        user,
        can_i: format!(
            "kubectl auth can-i {verb} {}{can_i_scope}",
            call.kind.resource()
        ),
        verb,
        resource: call.kind.resource(),
        scope,
        binding,
        rule,
        status,
    }))
}

/// An error and every cause under it, joined, for recognising a TLS failure by its name.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = format!("{e} {e:?}");
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    text
}

fn object_of(call: &Call) -> String {
    super::ObjectId {
        kind: call.kind,
        namespace: call.namespace.clone(),
        name: call.name.clone().unwrap_or_default(),
    }
    .to_string()
}

/// A server-side apply conflict: which managers own which fields.
fn conflict(call: &Call, status: Box<Status>) -> Error {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.clone())
        .unwrap_or_default();
    let mut managers: Vec<String> = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for cause in &causes {
        if let Some(m) = quoted_after(&cause.message, "with") {
            managers.push(m.to_owned());
        }
        if !cause.field.is_empty() {
            fields.push(cause.field.clone());
        }
    }
    if managers.is_empty() {
        // `Apply failed with 1 conflict: conflict with "helm" using apps/v1: .spec.replicas`
        let mut rest = status.message.as_str();
        while let Some((m, end)) = quoted_after_at(rest, "conflict with")
            .or_else(|| quoted_after_at(rest, "conflicts with"))
        {
            if !m.is_empty() {
                managers.push(m.to_owned());
            }
            // Always move past the closing quote, so an empty name cannot loop forever.
            rest = &rest[end..];
        }
        fields.extend(
            status
                .message
                .split([':', '\n'])
                .map(|p| p.trim().trim_start_matches("- "))
                .filter(|p| p.starts_with('.'))
                .map(str::to_owned),
        );
    }
    managers.sort();
    managers.dedup();
    fields.dedup();
    let list = |items: &[String]| {
        if items.is_empty() {
            "another manager".to_owned()
        } else {
            items
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Error::Conflict {
        object: object_of(call),
        are: if fields.len() == 1 { "is" } else { "are" },
        fields: if fields.is_empty() {
            "fields".to_owned()
        } else {
            list(&fields)
        },
        managers: if managers.is_empty() {
            "another manager".to_owned()
        } else {
            format!(
                "field manager{} {}",
                if managers.len() == 1 { "" } else { "s" },
                list(&managers)
            )
        },
        status,
    }
}

/// A rejected object; the causes get file locations later, from the plan's origins.
fn invalid(call: &Call, status: Box<Status>) -> Error {
    let mut causes: Vec<super::InvalidCause> = status
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| super::InvalidCause {
                    field: c.field.trim_start_matches('.').to_owned(),
                    message: c.message.clone(),
                    location: None,
                })
                .collect()
        })
        .unwrap_or_default();
    if causes.is_empty() {
        causes.push(super::InvalidCause {
            field: field_in_message(&status.message).unwrap_or_default(),
            message: status.message.clone(),
            location: None,
        });
    }
    Error::Invalid(Box::new(super::Invalid {
        object: object_of(call),
        origin: String::new(),
        code: status.code,
        reason: status.reason.clone(),
        help: Some(super::plan::causes_help(&causes)),
        causes,
        source_code: None,
        labels: Vec::new(),
        status,
    }))
}

/// `.spec.worker.replica: field not declared in schema` or `unknown field "spec.x"`.
fn field_in_message(message: &str) -> Option<String> {
    if let Some(f) = quoted_after(message, "unknown field") {
        return Some(f.trim_start_matches('.').to_owned());
    }
    message
        .split_whitespace()
        .find(|w| w.starts_with('.') && w.len() > 1)
        .map(|w| w.trim_end_matches(':').trim_start_matches('.').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(verb: &'static str) -> Call {
        Call {
            verb,
            kind: Kind::DASK_CLUSTER,
            namespace: Some("dask".into()),
            name: Some("demo".into()),
        }
    }

    #[test]
    fn conflict_names_managers_from_the_message_when_causes_are_missing() {
        let status = Status::failure(
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using kubernetes.dask.org/v1: .spec.worker.replicas",
            "Conflict",
        )
        .with_code(409);
        let err = conflict(&call("patch"), Box::new(status));
        assert_eq!(
            err.to_string(),
            "DaskCluster dask/demo: `.spec.worker.replicas` is managed by field manager `kubectl-client-side-apply` (409 Conflict)"
        );
    }

    #[test]
    fn forbidden_names_user_verb_and_rule() {
        let status = Status::failure(
            "daskclusters.kubernetes.dask.org \"demo\" is forbidden: User \"jane\" cannot patch resource \"daskclusters\" in API group \"kubernetes.dask.org\" in the namespace \"dask\"",
            "Forbidden",
        )
        .with_code(403);
        let err = forbidden(&call("patch"), Box::new(status));
        assert_eq!(
            err.to_string(),
            "user `jane` may not `patch` `daskclusters.kubernetes.dask.org` in namespace `dask` (403 Forbidden)"
        );
        let Error::Forbidden(f) = err else {
            unreachable!()
        };
        let (rule, can_i) = (f.rule, f.can_i);
        assert!(rule.contains("resources: [\"daskclusters\"]"), "{rule}");
        assert_eq!(
            can_i,
            "kubectl auth can-i patch daskclusters.kubernetes.dask.org -n dask"
        );
    }

    #[test]
    fn strict_validation_errors_name_their_field() {
        assert_eq!(
            field_in_message(".spec.worker.replica: field not declared in schema").as_deref(),
            Some("spec.worker.replica")
        );
        assert_eq!(
            field_in_message("strict decoding error: unknown field \"spec.worker.replica\"")
                .as_deref(),
            Some("spec.worker.replica")
        );
    }
}
