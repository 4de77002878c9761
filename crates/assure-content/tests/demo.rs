//! The embedded Contour Cloud demo loads and has the shape the programme promises (issue 3 asserts the
//! framework facts in detail).

#[test]
fn the_embedded_demo_loads_without_problems() {
    let p = match assure_content::demo() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(p.controls.len() >= 80, "{} controls", p.controls.len());
    assert!(p.domains.len() >= 12);
    assert!(p.services.len() >= 12);
    assert_eq!(p.tenants.len(), 6);
    assert!(!p.assessor_firms.is_empty());
}
