//! Replace a file's contents atomically, and only if nobody changed it since dusk read it.
//!
//! [`read`] takes a [`Snapshot`] (size, modification time, content hash, permissions) with
//! the bytes; [`replace`] checks the file still matches that snapshot, writes the new bytes to
//! a temporary file in the same directory, copies the permissions (and, on Unix, the owner
//! when allowed), flushes it to disk and renames it over the original. A reader therefore sees
//! the old file or the new one, never half of either. A symlink is followed: its target is
//! replaced and the link stays a link (whether a link may be written through is `cli::fix`'s
//! decision).
//!
//! Refused, with the reason: anything but a regular file (at [`read`], before a byte is
//! read), a file whose owner may not write it (the mode bits, not the caller's privileges:
//! root can rename over anything), and a file with more than one hard link (a rename would
//! split them). Mode bits, setuid and setgid included, are set again after the owner, since
//! `chown` clears them. The window between the last check and the rename can still lose an
//! edit another program makes in it; no portable lock closes it.
//!
//! [`replace_all`] replaces several files as one change (a fix that edits code and the pod
//! template it loads): every check and every temporary file comes first, so a refusal
//! leaves all of them as they were; a rename failing after others puts those back.
//!
//! Never decides *what* to write: callers (`cli::fix`) only pass texts that parsed before and
//! after fixing (see `migrate`).

use std::fs::{self, File, OpenOptions, Permissions};
use std::hash::{DefaultHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Why a file was not written. The original file is untouched in every case.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    #[diagnostic(code(dusk::write::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` changed since dusk read it; not overwriting it")]
    #[diagnostic(
        code(dusk::write::changed),
        help("another program edited the file while dusk was fixing it: run `dusk fix` again")
    )]
    Changed { path: PathBuf },
    #[error("`{path}` already exists with other contents; not overwriting it")]
    #[diagnostic(
        code(dusk::write::exists),
        help(
            "move or delete it, or compare it with the `dusk fix --diff` output, then run `dusk fix` again"
        )
    )]
    Exists { path: PathBuf },
    #[error("cannot write `{path}`: {source}")]
    #[diagnostic(
        code(dusk::write::write),
        help(
            "dusk writes a temporary file next to the original, so the directory must be writable"
        )
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is read-only (mode {mode:o}); not overwriting it")]
    #[diagnostic(
        code(dusk::write::read_only),
        help("make it writable (`chmod u+w`) if dusk may fix it, or see the fix with `--diff`")
    )]
    ReadOnly { path: PathBuf, mode: u32 },
    #[error("`{path}` has {links} hard links; replacing it would split them, so it is not written")]
    #[diagnostic(
        code(dusk::write::hard_links),
        help("apply the change with `dusk fix --diff | patch -p1`, which edits the file in place")
    )]
    HardLinks { path: PathBuf, links: u64 },
}

/// What a file was when it was read: the evidence [`replace`] checks before writing.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The path as given.
    pub path: PathBuf,
    /// The file actually written: `path` with symlinks resolved.
    target: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    hash: u64,
    permissions: Permissions,
    #[cfg(unix)]
    owner: (u32, u32),
    #[cfg(unix)]
    links: u64,
}

/// Read `path`, a regular file of at most `max` bytes, and remember what it was.
pub fn read(path: &Path, max: u64) -> Result<(Snapshot, Vec<u8>), Error> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let target = fs::canonicalize(path).map_err(read_err)?;
    let bytes = crate::discover::read_regular(&target, max).map_err(read_err)?;
    let meta = fs::metadata(&target).map_err(read_err)?;
    #[cfg(unix)]
    let (owner, links) = {
        use std::os::unix::fs::MetadataExt;
        ((meta.uid(), meta.gid()), meta.nlink())
    };
    let snapshot = Snapshot {
        path: path.to_path_buf(),
        target,
        len: bytes.len() as u64,
        modified: meta.modified().ok(),
        hash: hash(&bytes),
        permissions: meta.permissions(),
        #[cfg(unix)]
        owner,
        #[cfg(unix)]
        links,
    };
    Ok((snapshot, bytes))
}

fn hash(bytes: &[u8]) -> u64 {
    // SipHash with fixed keys: deterministic, and an accidental collision between the
    // file as read and as edited by someone else is not a practical concern.
    let mut h = DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

impl Snapshot {
    /// Refuse what a rename would silently change: a read-only file, a hard-linked one.
    fn writable(&self) -> Result<(), Error> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = self.permissions.mode() & 0o7777;
            if mode & 0o200 == 0 {
                return Err(Error::ReadOnly {
                    path: self.path.clone(),
                    mode,
                });
            }
            if self.links > 1 {
                return Err(Error::HardLinks {
                    path: self.path.clone(),
                    links: self.links,
                });
            }
        }
        #[cfg(not(unix))]
        if self.permissions.readonly() {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                mode: 0o444,
            });
        }
        Ok(())
    }

    /// The directory the file (a symlink's target) is in.
    fn dir(&self) -> PathBuf {
        self.target
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Whether the file on disk is still what was read.
    fn unchanged(&self) -> Result<bool, Error> {
        let Ok(meta) = fs::metadata(&self.target) else {
            return Ok(false);
        };
        if meta.len() != self.len || meta.modified().ok() != self.modified {
            return Ok(false);
        }
        let bytes = fs::read(&self.target).map_err(|source| Error::Read {
            path: self.path.clone(),
            source,
        })?;
        Ok(hash(&bytes) == self.hash)
    }
}

/// Replace the file `snapshot` was taken of with `contents`, atomically, keeping its
/// permissions. Refuses with [`Error::Changed`] if the file changed since it was read.
pub fn replace(snapshot: &Snapshot, contents: &[u8]) -> Result<(), Error> {
    let temp = prepare(snapshot, contents)?;
    // Check again right before the rename, to keep the window for a lost edit small.
    if let Err(e) = still_unchanged(snapshot) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    commit(snapshot, &temp)
}

/// Replace several files together (a fix that edits a Python file and the pod template it
/// loads): every file is checked and its new contents written to a temporary file before
/// any is renamed, so a refusal (changed since read, read-only, hard links) or a failed
/// temporary write leaves every file as it was. If a rename fails after others succeeded,
/// those are put back from `old` (the bytes they were read as), and the error is returned.
/// Each item is a snapshot, its new contents and the contents it was read with.
pub fn replace_all(items: &[(&Snapshot, &[u8], &[u8])]) -> Result<(), Error> {
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = fs::remove_file(t);
        }
    };
    for (snapshot, contents, _) in items {
        match prepare(snapshot, contents) {
            Ok(temp) => temps.push(temp),
            Err(e) => {
                cleanup(&temps);
                return Err(e);
            }
        }
    }
    if let Some(e) = items.iter().find_map(|(s, _, _)| still_unchanged(s).err()) {
        cleanup(&temps);
        return Err(e);
    }
    for (i, ((snapshot, _, _), temp)) in items.iter().zip(&temps).enumerate() {
        if let Err(e) = commit(snapshot, temp) {
            cleanup(&temps[i + 1..]);
            // Put back what was already replaced; the snapshots now describe other bytes,
            // so the old contents go through a plain temporary file and rename.
            for (snapshot, _, old) in &items[..i] {
                let _ = restore(snapshot, old);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Check `snapshot`'s file may be replaced and write `contents` to a temporary file beside
/// it, with its permissions and owner; the temporary file's path.
fn prepare(snapshot: &Snapshot, contents: &[u8]) -> Result<PathBuf, Error> {
    snapshot.writable()?;
    still_unchanged(snapshot)?;
    let write_err = |source| Error::Write {
        path: snapshot.path.clone(),
        source,
    };
    let dir = snapshot.dir();
    let (temp_path, mut temp) = create_temp(&dir, &snapshot.target).map_err(write_err)?;
    let result = (|| {
        temp.write_all(contents)?;
        #[cfg(unix)]
        {
            // Keeping the owner needs privileges we may not have; the permissions are kept
            // either way, and a file we may write is one we may replace. Owner first: a
            // `chown` clears setuid and setgid.
            let _ =
                std::os::unix::fs::fchown(&temp, Some(snapshot.owner.0), Some(snapshot.owner.1));
        }
        temp.set_permissions(snapshot.permissions.clone())?;
        temp.sync_all()
    })();
    drop(temp);
    if let Err(e) = result {
        let _ = fs::remove_file(&temp_path);
        return Err(write_err(e));
    }
    Ok(temp_path)
}

/// [`Error::Changed`] unless the file is still what was read.
fn still_unchanged(snapshot: &Snapshot) -> Result<(), Error> {
    if snapshot.unchanged()? {
        Ok(())
    } else {
        Err(Error::Changed {
            path: snapshot.path.clone(),
        })
    }
}

/// Rename the prepared `temp` over the file, and make the rename durable.
fn commit(snapshot: &Snapshot, temp: &Path) -> Result<(), Error> {
    if let Err(e) = fs::rename(temp, &snapshot.target) {
        let _ = fs::remove_file(temp);
        return Err(Error::Write {
            path: snapshot.path.clone(),
            source: e,
        });
    }
    // Not every platform can sync a directory.
    if let Ok(d) = File::open(snapshot.dir()) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write `old` back over a file [`replace_all`] already replaced.
fn restore(snapshot: &Snapshot, old: &[u8]) -> std::io::Result<()> {
    let (temp_path, mut temp) = create_temp(&snapshot.dir(), &snapshot.target)?;
    let result = temp
        .write_all(old)
        .and_then(|()| temp.set_permissions(snapshot.permissions.clone()))
        .and_then(|()| temp.sync_all());
    drop(temp);
    match result.and_then(|()| fs::rename(&temp_path, &snapshot.target)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&temp_path);
            Err(e)
        }
    }
}

/// Create `path` with `contents`, atomically, never replacing a file that exists: the
/// contents go to a temporary file in the same directory, which is then hard-linked to
/// `path` (which fails if `path` appeared meanwhile) and removed.
pub fn create(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.symlink_metadata().is_ok() {
        return Err(Error::Exists {
            path: path.to_path_buf(),
        });
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let (temp_path, mut temp) = create_temp(&dir, path).map_err(write_err)?;
    let result = temp.write_all(contents).and_then(|()| temp.sync_all());
    drop(temp);
    if let Err(e) = result {
        let _ = fs::remove_file(&temp_path);
        return Err(write_err(e));
    }
    let linked = fs::hard_link(&temp_path, path);
    let _ = fs::remove_file(&temp_path);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(write_err(e)),
    }
}

/// A new, empty file next to `target`, with a name no other writer uses.
fn create_temp(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.dusk-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".dusk-"))
            .collect()
    }

    #[test]
    fn creates_a_new_file_but_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.yaml");
        create(&path, b"a: 1\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a: 1\n");
        assert!(matches!(
            create(&path, b"b: 2\n"),
            Err(Error::Exists { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "a: 1\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn replaces_contents_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        let (snap, bytes) = read(&path, 1 << 20).unwrap();
        assert_eq!(bytes, b"old: 1\n");
        replace(&snap, b"new: 2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new: 2\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn refuses_a_file_changed_since_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        // Same length, so only the content (and maybe mtime) tells the change.
        fs::write(&path, "odd: 1\n").unwrap();
        let err = replace(&snap, b"new: 2\n").unwrap_err();
        assert!(matches!(err, Error::Changed { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "odd: 1\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn replaces_several_files_together_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.py"), dir.path().join("b.yaml"));
        fs::write(&a, "a = 1\n").unwrap();
        fs::write(&b, "b: 1\n").unwrap();
        let (sa, old_a) = read(&a, 1 << 20).unwrap();
        let (sb, old_b) = read(&b, 1 << 20).unwrap();
        replace_all(&[(&sa, b"a = 2\n", &old_a), (&sb, b"b: 2\n", &old_b)]).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "a = 2\n");
        assert_eq!(fs::read_to_string(&b).unwrap(), "b: 2\n");
        assert!(leftovers(dir.path()).is_empty());

        // The second file changed since it was read: neither is written.
        let (sa, old_a) = read(&a, 1 << 20).unwrap();
        let (sb, old_b) = read(&b, 1 << 20).unwrap();
        fs::write(&b, "b: 9\n").unwrap();
        let err = replace_all(&[(&sa, b"a = 3\n", &old_a), (&sb, b"b: 3\n", &old_b)]).unwrap_err();
        assert!(matches!(err, Error::Changed { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "a = 2\n");
        assert_eq!(fs::read_to_string(&b).unwrap(), "b: 9\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn refuses_a_file_deleted_since_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old: 1\n").unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        fs::remove_file(&path).unwrap();
        assert!(matches!(
            replace(&snap, b"x").unwrap_err(),
            Error::Changed { .. }
        ));
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.py");
        fs::write(&path, "x = 1\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o751)).unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        replace(&snap, b"x = 2\n").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o751);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_setuid_and_setgid() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.py");
        fs::write(&path, "x = 1\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o6755)).unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        replace(&snap, b"x = 2\n").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o6755);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_read_only_file_by_its_mode_even_as_root() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "a: 1\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o444)).unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        let err = replace(&snap, b"a: 2\n").unwrap_err();
        assert!(err.to_string().contains("read-only (mode 444)"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "a: 1\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_to_split_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "a: 1\n").unwrap();
        fs::hard_link(&path, dir.path().join("b.yaml")).unwrap();
        let (snap, _) = read(&path, 1 << 20).unwrap();
        let err = replace(&snap, b"a: 2\n").unwrap_err();
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join("b.yaml")).unwrap(),
            "a: 1\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_special_files_before_reading() {
        let err = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
    }

    #[test]
    fn a_write_error_says_why() {
        let err = Error::Write {
            path: PathBuf::from("a.yaml"),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert_eq!(err.to_string(), "cannot write `a.yaml`: no storage space");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        fs::write(&real, "a: 1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let (snap, _) = read(&link, 1 << 20).unwrap();
        replace(&snap, b"a: 2\n").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "a: 2\n");
    }
}
