//! The core's preprocessing against the tensors the training pipeline made with
//! Pillow (`tests/cases/preprocess/`, see `tests/cases/README.md`): the network
//! sees at inference what it saw in training.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use veer::decode::decode;
use veer::limits::Limits;
use veer::preprocess::prepare_track;

#[test]
fn tensors_match_the_training_preprocessing() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases/preprocess");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("preprocess.json")).unwrap()).unwrap();
    let image = decode(&std::fs::read(dir.join("scan.png")).unwrap(), &Limits::default()).unwrap();
    for t in spec["tracks"].as_array().unwrap() {
        let x0 = t["track"][0].as_f64().unwrap();
        let x1 = t["track"][1].as_f64().unwrap();
        let expected: Vec<f32> = std::fs::read(dir.join(t["file"].as_str().unwrap()))
            .unwrap()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let track = prepare_track(&image, x0, x1, 256).unwrap();
        assert_eq!(
            (track.width as u64, track.height as u64),
            (t["width"].as_u64().unwrap(), t["height"].as_u64().unwrap())
        );
        assert_eq!(track.data.len(), expected.len());
        let worst = track.data.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let exact = track.data.iter().zip(&expected).filter(|(a, b)| a == b).count();
        println!("track {x0}:{x1}: max |veer - Pillow| = {worst:e}, {exact}/{} values identical", expected.len());
        assert_eq!(exact, expected.len(), "track {x0}:{x1}: differs from the training preprocessing by up to {worst}");
    }
}
