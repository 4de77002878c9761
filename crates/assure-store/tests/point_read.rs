//! Credential lookups on a SQLite file go through `point_read`'s own connections. A token revoked or a
//! user disabled by another process (the CLI, another node) must be refused by the very next lookup:
//! nothing may be cached on either side.

use assure_domain::user::{Affiliation, Role, User};
use assure_store::{Actor, NewApiToken, SqliteStore, Store};
use time::OffsetDateTime;

#[tokio::test]
async fn a_token_revoked_elsewhere_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    // The server's store and, on the same file, the CLI's.
    let server = SqliteStore::connect(&url).await.expect("connect");
    let cli = SqliteStore::connect(&url).await.expect("connect again");
    let actor = Actor::system("test");
    let at = OffsetDateTime::now_utc();
    let user = User {
        id: "ops@contour.example".into(),
        name: "Ops".into(),
        role: Role::ProviderSecurityLead,
        affiliation: Affiliation::Provider,
        disabled: false,
    };
    cli.create_user(&actor, &user, None, false)
        .await
        .expect("user");
    for (id, hash) in [("tok-1", "hash-1"), ("tok-2", "hash-2")] {
        cli.create_api_token(
            &actor,
            &NewApiToken {
                id: id.into(),
                user: user.id.clone(),
                name: "ci".into(),
                token_hash: hash.into(),
                at,
                expires_at: Some(at + time::Duration::hours(1)),
            },
        )
        .await
        .expect("token");
    }

    let found = server.api_token("hash-1", at).await.expect("lookup");
    let (token, owner) = found.expect("a live token is found");
    assert_eq!((token.id.as_str(), token.name.as_str()), ("tok-1", "ci"));
    assert_eq!(owner, user);
    assert_eq!(
        token.expires_at.map(|e| e.unix_timestamp()),
        Some((at + time::Duration::hours(1)).unix_timestamp())
    );
    assert!(
        server
            .api_token("hash-1", at + time::Duration::hours(2))
            .await
            .expect("lookup")
            .is_none(),
        "an expired token is refused"
    );
    assert!(
        server
            .api_token("no-such-hash", at)
            .await
            .expect("lookup")
            .is_none(),
        "an unknown token is refused"
    );

    cli.revoke_api_token(&actor, None, "tok-1", at)
        .await
        .expect("revoke");
    assert!(
        server
            .api_token("hash-1", at)
            .await
            .expect("lookup")
            .is_none(),
        "a token revoked by another process is refused by the next lookup"
    );
    assert!(
        server
            .api_token("hash-2", at)
            .await
            .expect("lookup")
            .is_some()
    );

    cli.set_user_disabled(&actor, &user.id, true)
        .await
        .expect("disable");
    assert!(
        server
            .api_token("hash-2", at)
            .await
            .expect("lookup")
            .is_none(),
        "a disabled user's token is refused by the next lookup"
    );
}
