//! Rebuilds the crate when the embedded check pack changes (`include_dir!` does not tell cargo).
fn main() {
    println!("cargo:rerun-if-changed=../../content/checks");
}
