//! Any bytes through `probe` and `decode` with the default limits: an error of a
//! documented kind with a one-line message, or an image whose size matches its header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veer::decode::{decode, probe};
use veer::limits::Limits;

fn check_error(e: &veer::Error) {
    let msg = e.to_string();
    assert!(!msg.is_empty() && !msg.contains('\n'), "{}: {msg:?}", e.kind());
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let info = probe(data);
    match decode(data, &limits) {
        Ok(img) => {
            let info = info.expect("decode succeeded where probe failed");
            assert_eq!((img.width, img.height), (info.width, info.height));
            assert_eq!(img.data.len(), img.width as usize * img.height as usize);
            assert!(info.check(&limits).is_ok());
        }
        Err(e) => check_error(&e),
    }
});
