//! The repository's own bindgen: `generate <lib> --language kotlin|swift --out-dir DIR --no-format`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
