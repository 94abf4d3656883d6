//! Helm 3 release records → releases: chart name and version, and the values the user set.
//!
//! Helm keeps each revision of a release in a Secret named `sh.helm.release.v1.<release>.v<N>`
//! (type `helm.sh/release.v1`, labels `owner=helm`, `name`, `status`, `version`). Its
//! `data.release` is base64 (the Secret encoding) of base64 of gzip of the release JSON.
//! Pure: takes the Secret as the API server returned it, never calls Helm or the cluster.

use serde_json::Value;
use std::collections::BTreeMap;

/// Largest release record decoded; Helm itself caps a release Secret at 1 MiB compressed.
const MAX_RELEASE_BYTES: usize = 32 * 1024 * 1024;

/// Charts that deploy the classic scheduler/worker pair: `dask/dask` and the retired
/// `stable/dask` (also once named `dask-distributed`).
pub const DASK_CHARTS: &[&str] = &["dask", "dask-distributed"];

/// The label selector of Helm's release Secrets.
pub const RELEASE_SELECTOR: &str = "owner=helm";

/// One revision of a Helm release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    /// `deployed`, `superseded`, `failed`, …
    pub status: String,
    pub chart: String,
    pub chart_version: String,
    pub app_version: Option<String>,
    /// The values the user supplied (`helm get values`), not the chart's defaults.
    pub values: Value,
    /// The chart's default values, which `values` override.
    pub defaults: Value,
    /// The Secret the release was read from.
    pub secret: String,
}

impl Release {
    pub fn is_dask_chart(&self) -> bool {
        DASK_CHARTS.contains(&self.chart.as_str())
    }
}

/// Decode a release Secret. The error says what was wrong with it, for a finding.
pub fn decode_secret(secret: &Value) -> Result<Release, String> {
    let secret_name = secret
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let namespace = secret
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let encoded = secret
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or("the Secret has no `data.release`")?;
    let once = base64_decode(encoded).ok_or("`data.release` is not base64")?;
    let twice = base64_decode(std::str::from_utf8(&once).map_err(|_| "release is not base64")?)
        .ok_or("the release record is not base64")?;
    // Helm gzips records, but reads plain JSON too; so do we.
    let json = if twice.starts_with(&[0x1f, 0x8b]) {
        gunzip(&twice, MAX_RELEASE_BYTES)
            .map_err(|e| format!("the release record does not decompress: {e}"))?
    } else {
        twice
    };
    let record: Value = serde_json::from_slice(&json)
        .map_err(|e| format!("the release record is not JSON: {e}"))?;
    let text = |pointer: &str| record.pointer(pointer).and_then(Value::as_str);
    Ok(Release {
        name: text("/name").unwrap_or(secret_name).to_owned(),
        namespace: text("/namespace").unwrap_or(namespace).to_owned(),
        revision: record
            .pointer("/version")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        status: text("/info/status").unwrap_or("unknown").to_owned(),
        chart: text("/chart/metadata/name")
            .ok_or("the release record names no chart")?
            .to_owned(),
        chart_version: text("/chart/metadata/version").unwrap_or("").to_owned(),
        app_version: text("/chart/metadata/appVersion").map(str::to_owned),
        values: record
            .get("config")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())),
        defaults: record
            .pointer("/chart/values")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())),
        secret: secret_name.to_owned(),
    })
}

/// Values of a release that must never be printed: Helm keeps a release's values in a
/// Secret, so what a user put there can be a credential. Masked (as `***`, the way kubectl
/// masks Secret data) wherever an object built from the release, or a finding about it, is
/// shown: every container `env` value, and every string under a key that names a secret
/// (`password`, `secret`, `token`, `credentials`, `apiKey`, …). Other values (images,
/// resources, replicas) are what a migration diff is for, and stay visible.
pub fn sensitive_values(values: &Value) -> Vec<String> {
    fn secretish(key: &str) -> bool {
        let key = key.to_ascii_lowercase().replace(['_', '-'], "");
        // `secretKeyRef`, `secretName`, `existingSecret`, `imagePullSecrets` name a Secret;
        // they hold no secret.
        if ["ref", "name", "existing", "pullsecret"]
            .iter()
            .any(|w| key.contains(w))
        {
            return false;
        }
        [
            "password",
            "passwd",
            "secret",
            "token",
            "credential",
            "apikey",
            "accesskey",
            "privatekey",
        ]
        .iter()
        .any(|w| key.contains(w))
    }
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if !s.is_empty() => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => map.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "env"
                        && let Some(entries) = value.as_array()
                    {
                        for e in entries {
                            if let Some(s) = e.get("value") {
                                strings(s, out);
                            }
                        }
                    } else if secretish(key) {
                        strings(value, out);
                    }
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(values, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The newest revision of each release (per namespace and name); older revisions are history.
pub fn latest(releases: Vec<Release>) -> Vec<Release> {
    let mut newest: BTreeMap<(String, String), Release> = BTreeMap::new();
    for r in releases {
        let key = (r.namespace.clone(), r.name.clone());
        match newest.get(&key) {
            Some(kept) if kept.revision >= r.revision => {}
            _ => {
                newest.insert(key, r);
            }
        }
    }
    newest.into_values().collect()
}

/// Standard base64 (whitespace ignored); `None` if it is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// Standard base64 with padding (for tests and fixtures that build release Secrets).
pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decompress a gzip record, refusing to produce more than `max_out` bytes (a small record
/// can inflate to gigabytes).
fn gunzip(data: &[u8], max_out: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(max_out as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > max_out {
        return Err(format!("it inflates past {max_out} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "a", "ab", "abc", "abcd", "{\"x\": [1, 2]}"] {
            let enc = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&enc).unwrap(), text.as_bytes(), "{enc}");
        }
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn real_release_secret_decodes() {
        // A Secret as `helm install` writes it: the record is gzip level 9 (dynamic Huffman).
        let secret: Value = serde_json::from_str(include_str!(
            "../../fixtures/cluster/helm/sh.helm.release.v1.analytics.v2.json"
        ))
        .unwrap();
        let release = decode_secret(&secret).unwrap();
        assert_eq!(release.name, "analytics");
        assert_eq!(release.namespace, "dask");
        assert_eq!(release.revision, 2);
        assert_eq!(release.status, "deployed");
        assert_eq!(
            (release.chart.as_str(), release.chart_version.as_str()),
            ("dask", "2024.1.1")
        );
        assert!(release.is_dask_chart());
        assert_eq!(
            release.values.pointer("/worker/image/dask_worker"),
            Some(&Value::String("dask-worker".into()))
        );
    }

    #[test]
    fn damaged_records_say_what_is_wrong() {
        let secret = serde_json::json!({"metadata": {"name": "sh.helm.release.v1.x.v1"},
            "data": {"release": base64_encode(b"H4sIAAAA")}});
        let err = decode_secret(&secret).unwrap_err();
        assert!(err.contains("does not decompress"), "{err}");
        let secret = serde_json::json!({"metadata": {"name": "s"}, "data": {}});
        assert_eq!(
            decode_secret(&secret).unwrap_err(),
            "the Secret has no `data.release`"
        );
    }

    #[test]
    fn env_values_and_secret_keys_are_sensitive() {
        let values = serde_json::json!({
            "worker": {
                "env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI"},
                        {"name": "EXTRA_PIP_PACKAGES", "value": "s3fs"},
                        {"name": "FROM_REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                "image": {"repository": "ghcr.io/dask/dask", "tag": "2024.1.0"}
            },
            "jupyter": {"password": "sha1:abc", "replicas": 1, "existingSecret": "jupyter"},
            "extra": {"apiToken": ["t1", "t2"]}
        });
        assert_eq!(
            sensitive_values(&values),
            ["s3fs", "sha1:abc", "t1", "t2", "wJalrXUtnFEMI"]
        );
    }

    #[test]
    fn only_the_newest_revision_counts() {
        let r = |rev| Release {
            name: "a".into(),
            namespace: "n".into(),
            revision: rev,
            status: "x".into(),
            chart: "dask".into(),
            chart_version: "1".into(),
            app_version: None,
            values: Value::Null,
            defaults: Value::Null,
            secret: format!("s{rev}"),
        };
        let kept = latest(vec![r(1), r(3), r(2)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].revision, 3);
    }
}

#[cfg(test)]
mod gzip_tests {
    use super::*;

    #[test]
    fn a_gzip_bomb_is_refused() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'a'; 1 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(gunzip(&bomb, 1000).unwrap_err().contains("inflates past"));
        assert_eq!(gunzip(&bomb, 1 << 20).unwrap().len(), 1 << 20);
    }
}
