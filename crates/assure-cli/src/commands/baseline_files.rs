//! `assure baseline export|import`: a baseline as the same files as `content/`, so a provider can keep
//! it in git and review it as code. Import checks the whole folder (file, line and id of every problem)
//! and the baseline it holds against the frameworks and tenants in the store before anything is written.

use std::path::Path;

use assure_domain::BaselineVersionId;
use assure_domain::baseline::{Baseline, Change, Trigger};
use assure_store::baseline::{content_of, live_baseline};
use assure_store::snapshot::programme_snapshot;
use assure_store::{Actor, NewBaselineDraft, NewChange, Store, TenantScope};

use super::baseline::refused as refusal;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

/// Writes a version (default the live baseline) into `dir` in the content layout.
pub async fn export<S: Store>(
    store: &S,
    version: Option<String>,
    dir: &Path,
) -> Result<(), Failure> {
    let programme = programme_snapshot(store, &TenantScope::Tenants(Default::default())).await?;
    let baseline = match version.as_deref() {
        None | Some("live") => Baseline::of(&programme),
        Some(v) => content_of(store, &BaselineVersionId::from(v))
            .await
            .map_err(refusal)?,
    };
    let files = assure_content::baseline_files(&baseline.installed_in(&programme));
    for f in &files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::Input(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.text)
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?;
    }
    eprintln!("{} files written to {}", files.len(), dir.display());
    Ok(())
}

/// Opens a draft holding the baseline of `dir`, as one change; refuses (writing nothing) unless the
/// folder loads, its baseline fits the store's frameworks and tenants, and no other version is open.
pub async fn import<S: Store>(
    store: &S,
    actor: &Actor,
    dir: &Path,
    trigger: Trigger,
    rationale: &str,
    out: &OutputArgs,
) -> Result<(), Failure> {
    let loaded = assure_content::load_dir(dir).map_err(|e| match e {
        assure_content::ContentError::Io { .. } => Failure::Input(e.to_string()),
        assure_content::ContentError::Invalid(_) => Failure::Negative(format!("refused: {e}")),
    })?;
    let context = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let live = live_baseline(store).await?;
    let mut imported = Baseline::of(&loaded);
    imported.canonical_order(&context);
    let change = Change::Baseline {
        baseline: Box::new(imported),
    };
    // Everything is checked before the draft is opened, so a refused import writes nothing.
    let mut trial = live.clone();
    trial
        .apply(&change, &context)
        .map_err(|e| Failure::Negative(format!("refused: {e}")))?;
    let differences = assure_domain::baseline::diff(&live, &trial);
    let version = store
        .open_baseline_draft(
            actor,
            &NewBaselineDraft {
                trigger,
                rationale: rationale.to_owned(),
            },
            &live,
        )
        .await
        .map_err(refusal)?;
    store
        .add_baseline_change(
            actor,
            &version.id,
            &NewChange {
                change,
                rationale: format!("import of {}", dir.display()),
            },
            &context,
        )
        .await
        .map_err(refusal)?;
    eprintln!(
        "{}: draft opened with the imported baseline ({} object(s) differ from the live one)",
        version.id,
        differences.len()
    );
    out.emit(&differences, || Rows {
        header: vec!["object", "id", "change", "fields"],
        rows: differences
            .iter()
            .map(|x| {
                vec![
                    x.object.as_str().to_owned(),
                    x.id.clone(),
                    format!("{:?}", x.kind).to_lowercase(),
                    x.fields.join(", "),
                ]
            })
            .collect(),
    })
}
