//! The built-in check pack (`content/checks/*.yaml`, embedded at build time) and loading a directory of
//! user checks.

use std::path::Path;

use include_dir::{Dir, include_dir};

use crate::manifest::{LoadError, Source};

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../content/checks");

/// IDs of the seven reference checks of the peer benchmark (`shared/design/CHECKS.md`), paired with the
/// names `pycheck.py` prints, in its order.
pub const REFERENCE_CHECKS: [(&str, &str); 7] = [
    ("iam.mfa-privileged-console", "mfa_privileged"),
    ("cry.bucket-encrypted", "bucket_encrypted"),
    ("net.sg.no-ssh-from-world", "no_ssh_world"),
    ("cry.kms-rotated", "kms_rotated_365d"),
    ("iam.access-key-age", "access_key_age_365d"),
    ("log.bucket-logging", "bucket_logging"),
    ("net.vm-data-tier-not-public", "vm_segmentation"),
];

fn is_manifest(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")
}

/// The built-in manifests, sorted by file name.
pub fn builtin() -> Vec<Source> {
    let mut out: Vec<Source> = BUILTIN
        .files()
        .filter_map(|f| {
            let name = f.path().to_string_lossy().to_string();
            if !is_manifest(&name) {
                return None;
            }
            Some(Source {
                file: format!("content/checks/{name}"),
                text: f.contents_utf8()?.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// Every manifest file directly in `dir`, sorted by name.
pub fn from_dir(dir: &Path) -> Result<Vec<Source>, LoadError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| LoadError::file(&shown, format!("cannot read the checks directory: {e}")))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::file(&shown, e.to_string()))?;
        let path = entry.path();
        let name = path.display().to_string();
        if !path.is_file() || !is_manifest(&name) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| LoadError::file(&name, format!("cannot read: {e}")))?;
        out.push(Source { file: name, text });
    }
    if out.is_empty() {
        return Err(LoadError::file(
            &shown,
            "no .yaml, .yml or .json check manifests in this directory",
        ));
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// The manifests of the seven reference checks.
pub fn reference() -> Vec<Source> {
    builtin()
        .into_iter()
        .filter(|s| {
            REFERENCE_CHECKS
                .iter()
                .any(|(id, _)| s.file.ends_with(&format!("/{id}.yaml")))
        })
        .collect()
}

/// The reference checks' counts as `pycheck.py` prints them: `name=applicable/failed ...`.
pub fn reference_counts(checks: &[crate::CompiledCheck], results: &[crate::CheckResult]) -> String {
    REFERENCE_CHECKS
        .iter()
        .filter_map(|(id, name)| {
            let i = checks.iter().position(|c| c.manifest.id == *id)?;
            let r = results.get(i)?;
            Some(format!("{name}={}/{}", r.applicable, r.failed.len()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}
