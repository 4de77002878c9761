//! The rules every page keeps, shared by the page tests (`mod support;` in each).

use scraper::{Html, Selector};

pub fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn select(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// The structural rules every page keeps (accessibility and the CSP without `unsafe-inline`).
pub fn assert_well_formed(path: &str, body: &str) {
    let doc = Html::parse_document(body);
    assert!(
        doc.errors.len() < 5,
        "{path} parses with errors: {:?}",
        doc.errors
    );
    assert_eq!(
        doc.select(&select("main#main")).count(),
        1,
        "{path}: one <main id=main>"
    );
    assert_eq!(
        doc.select(&select("a.skip-link[href='#main']")).count(),
        1,
        "{path}: a skip link to the main content"
    );
    assert_eq!(
        doc.select(&select("html[lang]")).count(),
        1,
        "{path}: html lang"
    );
    assert_eq!(
        doc.select(&select("h1")).count(),
        1,
        "{path}: exactly one h1"
    );
    assert!(
        doc.select(&select("title")).next().is_some(),
        "{path}: a title"
    );
    for script in doc.select(&select("script")) {
        assert!(
            script.value().attr("src").is_some(),
            "{path}: a script without src"
        );
        assert!(
            script.text().collect::<String>().trim().is_empty(),
            "{path}: inline script content"
        );
    }
    assert_eq!(
        doc.select(&select("style")).count(),
        0,
        "{path}: a <style> element"
    );
    assert_eq!(
        doc.select(&select("[style]")).count(),
        0,
        "{path}: a style= attribute"
    );
    let handlers = doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
        .filter(|e| e.value().attrs().any(|(name, _)| name.starts_with("on")))
        .count();
    assert_eq!(handlers, 0, "{path}: inline event handler attributes");
    for control in doc.select(&select("input, select, textarea")) {
        let kind = control.value().attr("type").unwrap_or("text");
        if matches!(kind, "hidden" | "submit" | "button") {
            continue;
        }
        let id = control
            .value()
            .attr("id")
            .unwrap_or_else(|| panic!("{path}: a form control without id: {}", control.html()));
        let label = select(&format!("label[for='{id}']"));
        assert_eq!(doc.select(&label).count(), 1, "{path}: one label for #{id}");
    }
    for th in doc.select(&select("table th")) {
        assert!(
            th.value().attr("scope").is_some(),
            "{path}: <th> without scope: {}",
            th.html()
        );
    }
    for svg in doc.select(&select("svg")) {
        assert!(
            svg.value().attr("aria-labelledby").is_some(),
            "{path}: an unlabelled svg"
        );
        assert!(
            svg.select(&select("title")).next().is_some(),
            "{path}: svg without <title>"
        );
        assert!(
            svg.select(&select("desc")).next().is_some(),
            "{path}: svg without <desc>"
        );
    }
}
