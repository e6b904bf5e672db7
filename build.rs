//! Build script: links the shipped cdylib with `scripts/shipped-lib`'s export list, when it gives one.

fn main() {
    println!("cargo:rerun-if-env-changed=CONSENTKIT_EXPORTS");
    let Ok(map) = std::env::var("CONSENTKIT_EXPORTS") else {
        return;
    };
    println!("cargo:rerun-if-changed={map}");
    // A version script is an ELF linker's; Apple's linker has no such option and iOS apps
    // link the static library, where unreferenced metadata is dead-stripped anyway.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={map}");
    }
}
