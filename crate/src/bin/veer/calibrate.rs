//! `veer calibrate SCAN [-o proposal.json] [--curve ... --project-out project.json]`: propose a
//! print's calibration without clicks (tracks, grids, depth lines, skew, depth column, and depth
//! ties read from the depth numbers), through the core's [`veer::propose`]; with the scale of
//! each curve given, write the project that `veer digitise --project` runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use clap::Args;

use veer::digits::{DigitReader, HeaderScale};
use veer::layout::{CurveInput, EdgeLine, Finding, GridKind, Layout, ProjectInput};
use veer::limits::Limits;
use veer::params::Style;
use veer::propose::Proposal;

#[derive(Args)]
pub struct CalibrateArgs {
    /// The scan (PNG, JPEG or TIFF, including 1-bit CCITT G4).
    scan: PathBuf,
    /// Write the proposal JSON here (layout and depth ties, pretty-printed); without it only the
    /// summary is printed.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// The depth-number reader (default: models/digits.onnx beside the binary or in the repository).
    #[arg(long, env = "VEER_DIGITS")]
    digits: Option<PathBuf>,
    /// Do not read the depth numbers (the proposal then has no depth ties).
    #[arg(long, conflicts_with = "digits")]
    no_digits: bool,
    /// A curve of the project to write, TRACK:MNEMONIC:UNIT:LEFT:RIGHT[:log] (TRACK numbered from 0
    /// as the summary lists them, or FIRST-LAST for a scale across adjacent tracks; LEFT and RIGHT
    /// the values at the track's edges), or TRACK:MNEMONIC:UNIT to take the first scale printed in
    /// the header over those tracks, with its backup scales. Repeatable.
    #[arg(long = "curve", value_name = "SPEC")]
    curves: Vec<String>,
    /// Depth ties ROW=DEPTH,... for the project, instead of those read from the depth numbers.
    #[arg(long)]
    depth: Option<String>,
    /// Depth unit of the project, M or FT.
    #[arg(long)]
    depth_unit: Option<String>,
    /// Write the project (the tracks found, the depth ties, the --curve scales) here.
    #[arg(long, requires = "curves")]
    project_out: Option<PathBuf>,
}

/// Runs `veer calibrate`.
pub fn run(a: &CalibrateArgs) -> Result<()> {
    let reader = if a.no_digits {
        None
    } else {
        let path = crate::find_model_file(&a.digits, "digits.onnx", "--digits (or --no-digits)")?;
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read the digit reader {}", path.display()))?;
        Some(DigitReader::from_bytes(&bytes).with_context(|| format!("digit reader {}", path.display()))?)
    };
    let bytes = std::fs::read(&a.scan).with_context(|| format!("cannot read the scan {}", a.scan.display()))?;
    let t0 = Instant::now();
    let img = veer::decode::decode(&bytes, &Limits::default()).with_context(|| a.scan.display().to_string())?;
    let t_decode = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let proposal = veer::propose::propose(&img, reader.as_ref().map(|r| r as &dyn veer::digits::Classify))
        .with_context(|| a.scan.display().to_string())?;
    let t_found = t1.elapsed().as_secs_f64();
    emit(&summary(&a.scan, &proposal.layout));
    emit(&depth_summary(&proposal));
    emit(&scales_summary(&proposal));
    emit(&format!(
        "time: decode {t_decode:.2} s, layout and depth numbers {t_found:.2} s ({:.2}x decode)\n",
        t_found / t_decode.max(1e-9)
    ));
    if let Some(out) = &a.output {
        let json = serde_json::to_string_pretty(&proposal).context("cannot write the proposal as JSON")?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
        emit(&format!("proposal written to {}\n", out.display()));
    }
    if let Some(out) = &a.project_out {
        let mut input = ProjectInput {
            depth: match &a.depth {
                Some(text) => veer::params::parse_depth(text, Style::Cli)?,
                None => Vec::new(),
            },
            depth_unit: a.depth_unit.clone(),
            curves: Vec::new(),
        };
        let mut backups = Vec::new();
        for spec in &a.curves {
            let (curve, backup) = resolve_curve(spec, &proposal)?;
            input.curves.push(curve);
            backups.push(backup);
        }
        let mut project = proposal.to_project(&input).context("cannot make the project from the proposal")?;
        for (c, backup) in project.curves.iter_mut().zip(backups) {
            c.backup = backup;
        }
        let json = serde_json::to_string_pretty(&project).context("cannot write the project as JSON")?;
        std::fs::write(out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
        emit(&format!(
            "project written to {} (digitise it with: veer digitise {} --project {})\n",
            out.display(),
            a.scan.display(),
            out.display()
        ));
    }
    Ok(())
}

/// Prints the report to stdout. A reader that closed it (`veer calibrate ... | head`) has what
/// it wanted: the files are written all the same, so a failed write is not an error.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A `--curve` and its backup scales: as typed, or with the scale (and its backups) the header prints
/// over its tracks when only `TRACK:MNEMONIC:UNIT` is given.
fn resolve_curve(spec: &str, proposal: &Proposal) -> Result<(CurveInput, Vec<[f64; 2]>)> {
    let (mut curve, typed) = parse_curve(spec)?;
    if typed {
        return Ok((curve, Vec::new()));
    }
    let last = curve.to_track.unwrap_or(curve.track);
    let span = if curve.track == last { format!("track {last}") } else { format!("tracks {}-{last}", curve.track) };
    let scales = match &proposal.scales {
        Finding::Found(s) => s.as_slice(),
        Finding::Absent(why) => {
            return Err(anyhow!(
                "--curve {spec}: no scale was read in the header ({why}); give it as {spec}:LEFT:RIGHT"
            ))
        }
    };
    let Some((scale, backups)) = proposal.header_scale(curve.track, last) else {
        return Err(anyhow!(
            "--curve {spec}: the header's scales read are over other tracks than {span} ({}); give it as {spec}:LEFT:RIGHT",
            scales.iter().map(scale_text).collect::<Vec<_>>().join("; ")
        ));
    };
    curve.scale = scale;
    Ok((curve, backups))
}

/// `--curve TRACK[-LAST]:MNEMONIC:UNIT[:LEFT:RIGHT[:log]]`, and whether the scale was typed.
fn parse_curve(spec: &str) -> Result<(CurveInput, bool)> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || {
        anyhow!(
            "--curve {spec}: expected TRACK:MNEMONIC:UNIT:LEFT:RIGHT[:log], e.g. 0:GR:GAPI:0:150, 2:ILD:OHMM:0.2:2000:log, \
             1-2:DT:US/F:140:40 for a scale across tracks 1 and 2, or 0:GR:GAPI for the scale printed in the header"
        )
    };
    if !(parts.len() == 3 || (5..=6).contains(&parts.len()))
        || parts.get(5).is_some_and(|l| !l.eq_ignore_ascii_case("log"))
    {
        return Err(bad());
    }
    let num = |v: &str| v.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let index = |v: &str| v.trim().parse::<usize>().map_err(|_| bad());
    let (track, to_track) = match parts[0].split_once('-') {
        Some((first, last)) => (index(first)?, Some(index(last)?)),
        None => (index(parts[0])?, None),
    };
    let typed = parts.len() > 3;
    let scale = if typed {
        let (Some(left), Some(right)) = (num(parts[3]), num(parts[4])) else {
            return Err(bad());
        };
        [left, right]
    } else {
        [0.0, 0.0] // replaced by the header's (resolve_curve)
    };
    let curve = CurveInput {
        track,
        to_track,
        scale,
        mnemonic: parts[1].trim().to_string(),
        unit: parts[2].trim().to_string(),
        log: parts.get(5).map(|_| true),
        seed: None,
    };
    Ok((curve, typed))
}

/// A header scale as the summary prints it: `track 0: 0 to 150`.
fn scale_text(s: &HeaderScale) -> String {
    let span = if s.tracks[0] == s.tracks[1] {
        format!("track {}", s.tracks[0])
    } else {
        format!("tracks {}-{}", s.tracks[0], s.tracks[1])
    };
    format!("{span}: {} to {}", s.scale[0], s.scale[1])
}

/// The scales read in the header, or why there are none.
fn scales_summary(p: &Proposal) -> String {
    let mut s = String::new();
    match &p.scales {
        Finding::Found(scales) => {
            let _ = writeln!(s, "header scales: {}", scales.len());
            for h in scales {
                let backup = h.backup_of.map_or(String::new(), |_| ", backup of the one above".to_string());
                let _ = writeln!(s, "  {}{backup} (row {:.0}, confidence {:.2})", scale_text(h), h.row, h.confidence);
            }
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "header scales: absent: {why}");
        }
    }
    s
}

/// The depth ties read from the depth column, or why there are none.
fn depth_summary(p: &Proposal) -> String {
    let mut s = String::new();
    match &p.depth {
        Finding::Found(fit) => {
            let read = fit.ties.iter().filter(|t| t.read).count();
            let _ = writeln!(
                s,
                "depth ties: {} ({read} read, {} placed by their neighbours), {:.3} rows per unit{}, {} reading(s) rejected",
                fit.ties.len(),
                fit.ties.len() - read,
                fit.rows_per_unit,
                fit.step.map_or(String::new(), |st| format!(", labels every {st}")),
                fit.rejected.len()
            );
            let show: Vec<String> = fit
                .ties
                .iter()
                .take(3)
                .chain(fit.ties.iter().skip(3.max(fit.ties.len().saturating_sub(2))))
                .map(|t| format!("{}={} ({:.2})", t.row, t.depth, t.confidence))
                .collect();
            let _ = writeln!(s, "  {}{}", show.join(", "), if fit.ties.len() > 5 { " (first and last)" } else { "" });
        }
        Finding::Absent(why) => {
            let _ = writeln!(s, "depth ties: absent: {why}");
        }
    }
    s
}

fn edge(e: &EdgeLine, rows: [f64; 2]) -> String {
    format!(
        "{:.1} (row {:.0}) to {:.1} (row {:.0}), within {:.1} px{}",
        e.x_at(rows[0]),
        rows[0],
        e.x_at(rows[1]),
        rows[1],
        e.max_deviation,
        e.inferred.as_ref().map_or(String::new(), |why| format!("; inferred: {why}"))
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
