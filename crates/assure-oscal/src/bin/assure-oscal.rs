fn main() {
    let p = std::env::args().nth(1).unwrap_or_default();
    match assure_oscal::resolve_profile_file(std::path::Path::new(&p), &Default::default()) {
        Ok(r) => println!("{}", serde_json::to_string_pretty(&r.to_document()).unwrap_or_default()),
        Err(e) => eprintln!("{e}"),
    }
}
