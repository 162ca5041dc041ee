//! `veer calibrate SCAN [-o layout.json]`: propose a print's geometry (tracks, grids, depth
//! lines, skew, depth column) without clicks, through the core's [`veer::layout`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use veer::layout::{EdgeLine, Finding, GridKind, Layout};
use veer::limits::Limits;

#[derive(Args)]
pub struct CalibrateArgs {
    /// The scan (PNG, JPEG or TIFF, including 1-bit CCITT G4).
    scan: PathBuf,
    /// Write the layout JSON here (pretty-printed); without it only the summary is printed.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// Runs `veer calibrate`.
pub fn run(a: &CalibrateArgs) -> Result<()> {
    let bytes = std::fs::read(&a.scan).with_context(|| format!("cannot read the scan {}", a.scan.display()))?;
    let t0 = Instant::now();
    let img = veer::decode::decode(&bytes, &Limits::default()).with_context(|| a.scan.display().to_string())?;
    let t_decode = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let layout = veer::layout::find(&img).with_context(|| a.scan.display().to_string())?;
    let t_layout = t1.elapsed().as_secs_f64();
    print!("{}", summary(&a.scan, &layout));
    println!("time: decode {t_decode:.2} s, layout {t_layout:.2} s ({:.2}x decode)", t_layout / t_decode.max(1e-9));
    if let Some(out) = &a.output {
        let json = serde_json::to_string_pretty(&layout).context("cannot write the layout as JSON")?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
        println!("layout written to {}", out.display());
    }
    Ok(())
}

fn edge(e: &EdgeLine, rows: [f64; 2]) -> String {
    format!(
        "{:.1} (row {:.0}) to {:.1} (row {:.0}), within {:.1} px",
        e.x_at(rows[0]),
        rows[0],
        e.x_at(rows[1]),
        rows[1],
        e.max_deviation
    )
}

/// The human summary.
fn summary(scan: &Path, l: &Layout) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: {} x {} px, ink under gray {}", scan.display(), l.width, l.height, l.ink_threshold);
    match &l.skew {
        Finding::Found(k) => {
            let f = |v: Option<f64>| v.map_or("-".to_string(), |d| format!("{d:.3}"));
            let _ = writeln!(
                s,
                "skew: {:.3} degrees (edges {}, depth lines {}; confidence {:.2})",
                k.degrees,
                f(k.from_edges),
                f(k.from_depth_lines),
                k.confidence
            );
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "skew: absent: {why}");
        }
    }
    match &l.tracks {
        Finding::Found(tracks) => {
            for (i, t) in tracks.iter().enumerate() {
                let rows = [t.left.rows[0].min(t.right.rows[0]), t.left.rows[1].max(t.right.rows[1])];
                let grid = match &t.grid {
                    Finding::Found(g) => match g.kind {
                        GridKind::Linear { divisions } => {
                            format!("linear, {divisions} divisions (confidence {:.2})", g.confidence)
                        }
                        GridKind::Log { decades, start_mantissa } => format!(
                            "log, {decades} decades from mantissa {start_mantissa} (confidence {:.2})",
                            g.confidence
                        ),
                    },
                    Finding::Absent(why) => format!("absent: {why}"),
                };
                let _ = writeln!(
                    s,
                    "track {i}: {} lines, edges found along {:.0} % of the rows; grid {grid}",
                    t.lines.len(),
                    t.presence * 100.0
                );
                let _ = writeln!(s, "  left edge  {}", edge(&t.left, rows));
                let _ = writeln!(s, "  right edge {}", edge(&t.right, rows));
            }
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "tracks: absent: {why}");
        }
    }
    match &l.depth_lines {
        Finding::Found(d) => {
            let every =
                |n: Option<u32>, what: &str| n.map_or(String::new(), |n| format!(", one {what} every {n} lines"));
            let _ = writeln!(
                s,
                "depth lines: {} lines, spacing {:.2} rows (regular {:.0} %){}{}, slope {:.5} rows per column",
                d.count,
                d.spacing,
                d.regularity * 100.0,
                every(d.medium_every, "medium or heavier"),
                every(d.heavy_every, "heavy"),
                d.slope
            );
            for (i, sec) in d.sections.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  section {i}: rows {:.1} to {:.1} (at column {:.0}), {} lines, spacing {:.2} rows",
                    sec.rows[0], sec.rows[1], d.at_column, sec.count, sec.spacing
                );
            }
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "depth lines: absent: {why}");
        }
    }
    match &l.depth_column {
        Finding::Found(c) => {
            let mid = f64::from(l.height) / 2.0;
            let _ = writeln!(
                s,
                "depth column: between tracks {} and {}, columns {:.1} to {:.1} at row {mid:.0} ({:.2} % ink; confidence {:.2})",
                c.between[0],
                c.between[1],
                c.left.x_along(mid),
                c.right.x_along(mid),
                c.ink * 100.0,
                c.confidence
            );
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "depth column: absent: {why}");
        }
    }
    s
}
