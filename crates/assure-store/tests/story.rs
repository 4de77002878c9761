//! The store story on every backend. PostgreSQL runs when `ASSURE_TEST_POSTGRES_URL` names a server
//! (the test command starts one); under CI its absence is a failure, elsewhere the test says what to set.

use std::path::Path;

use assure_domain::programme::Programme;
use assure_store::story::{run_story, store_methods};
use assure_store::{PgStore, SqliteStore};

fn mini() -> Programme {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini");
    assure_content::load_dir(&dir).expect("fixture loads")
}

#[test]
fn every_store_method_has_a_step() {
    // The story's coverage is checked against the trait in `story_on_sqlite`; here we check the parser.
    let methods = store_methods();
    assert!(
        methods.contains("import_programme") && methods.contains("record_checkpoint"),
        "{methods:?}"
    );
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let covered = run_story(&store, &mini())
        .await
        .expect("story passes on SQLite");
    let covered: std::collections::BTreeSet<String> =
        covered.into_iter().map(str::to_owned).collect();
    assert_eq!(
        covered,
        store_methods(),
        "every Store method needs a step in the story"
    );
    println!("store story passed on SQLite ({} methods)", covered.len());
}

#[tokio::test]
async fn story_on_postgres() {
    let Some(db) = assure_store::testing::fresh_database().await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.expect("connect");
    let covered = run_story(&store, &mini())
        .await
        .expect("story passes on PostgreSQL");
    let covered: std::collections::BTreeSet<String> =
        covered.into_iter().map(str::to_owned).collect();
    assert_eq!(
        covered,
        store_methods(),
        "every Store method needs a step in the story"
    );
    println!(
        "store story passed on PostgreSQL ({} methods)",
        covered.len()
    );
    drop(store);
    db.drop_database().await;
}
