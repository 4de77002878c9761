fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::Path::new(args.get(2).map(String::as_str).unwrap_or_default());
    match args.get(1).map(String::as_str) {
        Some("validate") => {
            let schemas = assure_oscal::validate::SchemaSet::from_env().and_then(Result::ok);
            match assure_oscal::validate::validate_file(path, schemas.as_ref()) {
                Ok(r) => println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
                Err(e) => eprintln!("{e}"),
            }
        }
        _ => match assure_oscal::resolve_profile_file(path, &Default::default()) {
            Ok(r) => println!("{}", serde_json::to_string_pretty(&r.to_document()).unwrap_or_default()),
            Err(e) => eprintln!("{e}"),
        },
    }
}
