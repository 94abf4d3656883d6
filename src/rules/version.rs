//! Versions (CalVer `YYYY.M.P` or SemVer) and deprecation windows.
//!
//! A version that is neither fails to parse with a message naming what was wrong; nothing in
//! dusk treats an unparsable version as "no version" (pluto's silent-disable pitfall).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A release version. CalVer and SemVer share one ordering: numeric major, minor, patch, then
/// pre-releases before the release. `2021.03.0` and `2021.3.0` are the same version.
#[derive(Clone, Debug, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Pre-release tag such as `rc1`; sorts before the release.
    pub pre: Option<String>,
    /// As written, for messages.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a version: {reason} (expected CalVer such as `2024.5.0` or SemVer such as `1.2.3`)"
)]
pub struct VersionError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| VersionError {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        // Split a pre-release: SemVer `1.2.3-rc.1` or PEP 440 `2022.10.0rc1`.
        let (core, pre) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
            Some(i) => {
                let tag = s[i..].trim_start_matches(['-', '.', '_']);
                if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
                    return Err(err("it has an invalid pre-release tag"));
                }
                (&s[..i], Some(tag.to_owned()))
            }
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(err("it must have one to three dot-separated numbers"));
        }
        let mut nums = [0u64; 3];
        for (slot, part) in nums.iter_mut().zip(&parts) {
            *slot = part.parse().map_err(|_| err("a part is not a number"))?;
        }
        Ok(Version {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre,
            text: input.trim().to_owned(),
        })
    }
}

impl Version {
    /// Whether this reads as CalVer (a year for a major).
    pub fn is_calver(&self) -> bool {
        (2000..3000).contains(&self.major)
    }

    fn key(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    /// Normalised: `2021.03.0` prints as `2021.3.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// When a construct was deprecated and removed in its component.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub deprecated_in: Option<Version>,
    pub removed_in: Option<Version>,
}

/// Where a target version falls in a [`Window`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Before `deprecated-in`: hidden unless asked for.
    Upcoming,
    /// `deprecated-in ≤ target < removed-in`: a warning.
    Deprecated,
    /// `target ≥ removed-in`: an error.
    Removed,
}

/// A status with the bound that decided it, so a report can say why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict<'w> {
    pub status: Status,
    pub bound: Option<&'w Version>,
}

impl Window {
    pub fn status(&self, target: &Version) -> Verdict<'_> {
        if let Some(removed) = self.removed_in.as_ref().filter(|r| target >= *r) {
            return Verdict {
                status: Status::Removed,
                bound: Some(removed),
            };
        }
        match &self.deprecated_in {
            Some(d) if target >= d => Verdict {
                status: Status::Deprecated,
                bound: Some(d),
            },
            // A rule with a removal but no deprecation is deprecated until removed.
            None if self.removed_in.is_some() => Verdict {
                status: Status::Deprecated,
                bound: None,
            },
            None => Verdict {
                status: Status::Deprecated,
                bound: None,
            },
            Some(d) => Verdict {
                status: Status::Upcoming,
                bound: Some(d),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    macro_rules! equal {
        ($($name:ident: $a:expr, $b:expr;)*) => {$(
            #[test]
            fn $name() { assert_eq!(v($a), v($b)); }
        )*};
    }
    equal! {
        zero_padded_month: "2021.03.0", "2021.3.0";
        v_prefix: "v2024.5.0", "2024.5.0";
        missing_patch: "2024.1", "2024.1.0";
    }

    macro_rules! less {
        ($($name:ident: $a:expr, $b:expr;)*) => {$(
            #[test]
            fn $name() { assert!(v($a) < v($b)); }
        )*};
    }
    less! {
        months_numeric: "2022.9.0", "2022.10.0";
        pre_release_first: "2022.10.0rc1", "2022.10.0";
        semver_pre: "1.2.3-alpha", "1.2.3";
        patch_order: "2024.4.2", "2024.5.0";
    }

    macro_rules! invalid {
        ($($name:ident: $a:expr;)*) => {$(
            #[test]
            fn $name() { assert!($a.parse::<Version>().is_err(), "{}", $a); }
        )*};
    }
    invalid! {
        empty: "";
        words: "latest";
        four_parts: "1.2.3.4";
        double_dot: "2024..1";
        bad_tag: "2024.1.0-";
    }

    #[test]
    fn normalised_display() {
        assert_eq!(v("2021.03.0").to_string(), "2021.3.0");
        assert_eq!(v("2022.10.0rc1").to_string(), "2022.10.0-rc1");
    }

    fn window(d: Option<&str>, r: Option<&str>) -> Window {
        Window {
            deprecated_in: d.map(v),
            removed_in: r.map(v),
        }
    }

    macro_rules! status {
        ($($name:ident: $d:expr, $r:expr, $t:expr => $s:ident;)*) => {$(
            #[test]
            fn $name() { assert_eq!(window($d, $r).status(&v($t)).status, Status::$s); }
        )*};
    }
    status! {
        before_window: Some("2022.10.0"), Some("2024.5.0"), "2022.9.0" => Upcoming;
        at_deprecation: Some("2022.10.0"), Some("2024.5.0"), "2022.10.0" => Deprecated;
        inside_window: Some("2022.10.0"), Some("2024.5.0"), "2024.4.2" => Deprecated;
        at_removal: Some("2022.10.0"), Some("2024.5.0"), "2024.5.0" => Removed;
        after_removal: Some("2022.10.0"), Some("2024.5.0"), "2026.3.0" => Removed;
        removal_only: None, Some("0.10.0"), "0.9.0" => Deprecated;
        removal_only_past: None, Some("0.10.0"), "2024.1.0" => Removed;
        no_window: None, None, "2024.1.0" => Deprecated;
    }
}
