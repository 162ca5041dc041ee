//! Local or cloud: from a scan's header and the device's budget, estimate the peak
//! memory and the time of digitising it here, and decide where it runs.
//!
//! Pure arithmetic on [`ImageInfo`] and [`Budget`]: no I/O, no clock. The browser
//! gathers the budget (the wasm memory ceiling, `navigator.deviceMemory`,
//! `hardwareConcurrency`, a measured inference speed) and calls [`plan`] through
//! wasm; the same numbers ([`CLOUD_MAX_BODY_BYTES`], [`Limits`]) bound the cloud.
//!
//! # The memory model
//! The pipeline's buffers, in bytes, for a `W x H` scan whose track is resized to
//! `R = H * 256 / track_px` rows of [`MODEL_WIDTH`] columns:
//!
//! | phase | alive at its peak |
//! |---|---|
//! | decode | file + codec buffer (`ImageInfo::codec_buffer_bytes`) + 8-bit gray (`W*H`) |
//! | prepare | file + gray + horizontal pass (`4*256*H`, f32) + track (`4*256*R`, f32) |
//! | infer, trace | file + gray + track + probability map (`256*R`) + back-pointers (`256*R`) |
//!
//! plus [`RUNTIME_BYTES`] for the code, the model, its optimised tile plan and
//! tract's scratch, which does not grow with the scan (tiles stream through the
//! model). The constant was fitted to the native peak RSS (`/usr/bin/time -v`) of
//! `veer digitise` on 1,300 px wide scans 3,250 to 26,000 px tall (1-bit G4 and
//! 8-bit PNG); the table in `lambda-fallback/README.md` gives the measurements. The
//! browser's heap never shrinks and fragments, so the estimate is multiplied by
//! [`HEAP_MARGIN`] before it is compared with the budget.
//!
//! # The time model
//! `time = (model pixels + SOURCE_PX_COST * source pixels) / speed`, where model
//! pixels are the tiles' padded pixels (what tract runs), `speed` is the device's
//! measured model pixels per second, and [`SOURCE_PX_COST`] prices decoding,
//! resizing and tracing one source pixel in model pixels (measured natively from
//! the phase split of a 1,300 x 13,000 px G4 scan).

use serde::{Deserialize, Serialize};

use crate::decode::ImageInfo;
use crate::limits::Limits;
use crate::preprocess::tiles;
use crate::MODEL_WIDTH;

/// Largest scan, in bytes, that one cloud request can carry: Lambda's synchronous
/// payload limit (6 MiB) holds the base64 of the body (4 bytes per 3) and the event
/// around it (64 KiB kept for headers and fields). About 4.67 MB.
pub const CLOUD_MAX_BODY_BYTES: u64 = (6 * 1024 * 1024 - 64 * 1024) / 4 * 3;

/// Bytes that do not grow with the scan: code, model, optimised plan, tract scratch.
pub const RUNTIME_BYTES: u64 = 100 * 1024 * 1024;

/// Factor on the estimated data bytes for the browser heap's growth and fragmentation.
pub const HEAP_MARGIN: f64 = 1.25;

/// Cost of decoding, resizing and tracing one source pixel, in model pixels.
pub const SOURCE_PX_COST: f64 = 0.02;

/// Track width assumed when the calibration is not known yet: a quarter of the scan
/// (a depth column and three tracks), at least 64 px.
pub const DEFAULT_TRACK_FRACTION: f64 = 0.25;

/// What the device can give to one scan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Bytes the page may use for the run (wasm memory ceiling, or a share of
    /// `navigator.deviceMemory`, whichever is smaller).
    pub memory_bytes: u64,
    /// Logical cores (`navigator.hardwareConcurrency`). One worker runs the model on
    /// one thread, so cores do not speed a scan up; a device with one core also
    /// runs the page on it, and gets half the measured speed.
    pub cores: u32,
    /// Longest the user should wait for a local run, in seconds.
    pub time_budget_s: f64,
    /// Measured model pixels per second on this device (one tile's `rows * cols`
    /// over its run time); `None` when not measured yet, and time is not judged.
    #[serde(default)]
    pub model_px_per_s: Option<f64>,
}

/// Where a scan should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Local,
    Cloud,
}

/// What local work would take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Peak bytes, margin included.
    pub memory_bytes: u64,
    /// Seconds; `None` without a measured speed.
    pub seconds: Option<f64>,
    /// Rows of the resized track, and the tiles the model runs.
    pub track_rows: u64,
    pub tiles: u64,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub decision: Decision,
    /// Why, in words for the user.
    pub reason: String,
    pub estimate: Estimate,
    /// Whether the file fits one cloud request as it is ([`CLOUD_MAX_BODY_BYTES`]);
    /// when not, shrink it (1-bit G4 TIFF, grayscale PNG) before sending.
    pub cloud_fits: bool,
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// Estimate the local run for a track `track_px` source pixels wide.
pub fn estimate(info: &ImageInfo, track_px: f64, budget: &Budget) -> Estimate {
    let h = u64::from(info.height);
    let track_px = if track_px.is_finite() { track_px.max(8.0) } else { f64::from(info.width.max(8)) };
    let rows = ((h as f64) * MODEL_WIDTH as f64 / track_px).round().max(1.0) as u64;
    let cols = MODEL_WIDTH as u64;
    let gray = info.gray_bytes();
    let track = 4 * cols * rows;
    let decode = info.codec_buffer_bytes() + gray;
    let prepare = gray + 4 * cols * h + track;
    let infer = gray + track + 2 * cols * rows;
    let data = info.file_bytes + decode.max(prepare).max(infer);
    let memory_bytes = RUNTIME_BYTES + (data as f64 * HEAP_MARGIN).ceil() as u64;

    let tiles = tiles(rows as usize);
    let model_px: u64 = tiles.iter().map(|t| (t.padded_rows * MODEL_WIDTH) as u64).sum();
    let source_px = u64::from(info.width) * h;
    let seconds = budget.model_px_per_s.filter(|s| s.is_finite() && *s > 0.0).map(|speed| {
        let speed = if budget.cores <= 1 { speed / 2.0 } else { speed };
        (model_px as f64 + SOURCE_PX_COST * source_px as f64) / speed
    });
    Estimate { memory_bytes, seconds, track_rows: rows, tiles: tiles.len() as u64 }
}

/// Decide for a scan whose track is not known yet (a [`DEFAULT_TRACK_FRACTION`] of its width).
pub fn plan(info: &ImageInfo, budget: &Budget) -> Plan {
    let track_px = (f64::from(info.width) * DEFAULT_TRACK_FRACTION).max(64.0).min(f64::from(info.width.max(8)));
    plan_track(info, track_px, budget)
}

/// Decide for a scan whose track is `track_px` source pixels wide.
pub fn plan_track(info: &ImageInfo, track_px: f64, budget: &Budget) -> Plan {
    let estimate = estimate(info, track_px, budget);
    let cloud_fits = info.file_bytes <= CLOUD_MAX_BODY_BYTES;
    let shrink = if cloud_fits {
        String::new()
    } else {
        format!(
            "; the file ({}) is over the cloud's {} request limit, so it is re-saved as 1-bit G4 TIFF or grayscale PNG before upload",
            mb(info.file_bytes),
            mb(CLOUD_MAX_BODY_BYTES)
        )
    };
    let size = format!("{} x {} px", info.width, info.height);

    if let Err(e) = info.check(&Limits::default()) {
        // The cloud runs the same limits: sending it would fail the same way.
        return Plan {
            decision: Decision::Local,
            reason: format!("the scan is over veer's limits, here and in the cloud alike: {e}"),
            estimate,
            cloud_fits,
        };
    }
    if estimate.memory_bytes > budget.memory_bytes {
        return Plan {
            decision: Decision::Cloud,
            reason: format!(
                "this {size} scan needs about {} of memory here, more than the {} this page may use{shrink}",
                mb(estimate.memory_bytes),
                mb(budget.memory_bytes)
            ),
            estimate,
            cloud_fits,
        };
    }
    match estimate.seconds {
        Some(s) if s > budget.time_budget_s => Plan {
            decision: Decision::Cloud,
            reason: format!(
                "this {size} scan would take about {s:.0} s here ({} tiles), over the {:.0} s budget{shrink}",
                estimate.tiles, budget.time_budget_s
            ),
            estimate,
            cloud_fits,
        },
        Some(s) => Plan {
            decision: Decision::Local,
            reason: format!(
                "this {size} scan fits here: about {} of the {} this page may use, and about {s:.0} s",
                mb(estimate.memory_bytes),
                mb(budget.memory_bytes)
            ),
            estimate,
            cloud_fits,
        },
        None => Plan {
            decision: Decision::Local,
            reason: format!(
                "this {size} scan fits in memory here (about {} of {}); the device's speed is not measured yet, so time was not judged",
                mb(estimate.memory_bytes),
                mb(budget.memory_bytes)
            ),
            estimate,
            cloud_fits,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Format;

    fn info(width: u32, height: u32, bits: u16, file_bytes: u64) -> ImageInfo {
        ImageInfo { format: Format::Tiff, width, height, bits_per_pixel: bits, file_bytes }
    }

    const GIB: u64 = 1 << 30;

    fn budget(memory_bytes: u64, time_budget_s: f64, speed: Option<f64>) -> Budget {
        Budget { memory_bytes, cores: 4, time_budget_s, model_px_per_s: speed }
    }

    #[test]
    fn memory_model_matches_its_parts() {
        // 1,300 x 13,000 1-bit G4, track 376 px: R = 8,851 rows.
        let i = info(1300, 13_000, 1, 485_226);
        let e = estimate(&i, 376.0, &budget(GIB, 60.0, None));
        assert_eq!(e.track_rows, 8851);
        let gray = 1300 * 13_000u64;
        let prepare = gray + 4 * 256 * 13_000 + 4 * 256 * 8851;
        let want = RUNTIME_BYTES + ((485_226 + prepare) as f64 * HEAP_MARGIN).ceil() as u64;
        assert_eq!(e.memory_bytes, want);
        assert_eq!(e.tiles, tiles(8851).len() as u64);
        assert!(e.seconds.is_none());
    }

    #[test]
    fn the_memory_boundary_is_exact() {
        let i = info(1300, 13_000, 1, 485_226);
        let need = estimate(&i, 325.0, &budget(GIB, 60.0, None)).memory_bytes;
        let at = plan(&i, &budget(need, 60.0, None));
        assert_eq!(at.decision, Decision::Local, "{}", at.reason);
        let below = plan(&i, &budget(need - 1, 60.0, None));
        assert_eq!(below.decision, Decision::Cloud);
        assert!(below.reason.contains("memory"), "{}", below.reason);
        assert!(below.cloud_fits);
    }

    #[test]
    fn the_time_boundary_is_exact() {
        let i = info(1300, 13_000, 1, 485_226);
        let speed = 1.0e6;
        let s = estimate(&i, 325.0, &budget(GIB, 0.0, Some(speed))).seconds.expect("speed given");
        assert!(s > 1.0 && s < 100.0, "{s}");
        assert_eq!(plan(&i, &budget(GIB, s, Some(speed))).decision, Decision::Local);
        let over = plan(&i, &budget(GIB, s * 0.999, Some(speed)));
        assert_eq!(over.decision, Decision::Cloud);
        assert!(over.reason.contains("budget"), "{}", over.reason);
        // One core shares the page: half the speed, twice the time.
        let one = Budget { cores: 1, ..budget(GIB, 0.0, Some(speed)) };
        let s1 = estimate(&i, 325.0, &one).seconds.expect("speed given");
        assert!((s1 / s - 2.0).abs() < 1e-9);
    }

    #[test]
    fn unknown_or_nonsense_speed_judges_memory_only() {
        let i = info(1300, 13_000, 1, 485_226);
        for speed in [None, Some(0.0), Some(-5.0), Some(f64::NAN)] {
            let p = plan(&i, &budget(GIB, 0.001, speed));
            assert_eq!(p.decision, Decision::Local, "{speed:?}");
            assert!(p.reason.contains("not measured"), "{}", p.reason);
        }
    }

    #[test]
    fn memory_grows_with_length_and_a_long_archive_goes_to_the_cloud() {
        let b = budget(512 * 1024 * 1024, 600.0, Some(2.0e6));
        let short = plan(&info(1500, 2_500, 1, 60_000), &b);
        let long = plan(&info(1500, 25_000, 8, 20_000_000), &b);
        assert!(long.estimate.memory_bytes > 5 * (short.estimate.memory_bytes - RUNTIME_BYTES));
        assert_eq!(short.decision, Decision::Local, "{}", short.reason);
        let tight = plan(&info(1500, 25_000, 8, 20_000_000), &budget(200 * 1024 * 1024, 600.0, Some(2.0e6)));
        assert_eq!(tight.decision, Decision::Cloud);
        assert!(!tight.cloud_fits);
        assert!(tight.reason.contains("1-bit G4"), "{}", tight.reason);
    }

    #[test]
    fn over_the_limits_stays_local_to_fail_with_the_limit_message() {
        let p = plan(&info(20_001, 1000, 8, 1000), &budget(1, 0.0, Some(1.0)));
        assert_eq!(p.decision, Decision::Local);
        assert!(p.reason.contains("limit"), "{}", p.reason);
    }

    #[test]
    fn the_cloud_body_limit_is_lambdas_payload_after_base64() {
        assert_eq!(CLOUD_MAX_BODY_BYTES, 4_669_440);
        assert!(CLOUD_MAX_BODY_BYTES.div_ceil(3) * 4 + 64 * 1024 <= 6 * 1024 * 1024);
        let i = info(1300, 13_000, 1, CLOUD_MAX_BODY_BYTES);
        assert!(plan(&i, &budget(GIB, 60.0, None)).cloud_fits);
        let j = info(1300, 13_000, 1, CLOUD_MAX_BODY_BYTES + 1);
        assert!(!plan(&j, &budget(GIB, 60.0, None)).cloud_fits);
    }

    #[test]
    fn plans_round_trip_through_json() {
        let p = plan(&info(1300, 13_000, 1, 485_226), &budget(GIB, 60.0, Some(1.0e6)));
        let s = serde_json::to_string(&p).expect("serialises");
        assert!(s.contains("\"decision\":\"local\""), "{s}");
        let back: Plan = serde_json::from_str(&s).expect("parses");
        assert_eq!(back, p);
        let b: Budget = serde_json::from_str(r#"{"memory_bytes":1000,"cores":2,"time_budget_s":30}"#).expect("budget");
        assert_eq!(b.model_px_per_s, None);
    }
}
