//! `veer`: digitise scanned well logs from the command line.
//!
//! ```text
//! veer digitise SCAN --track X0:X1 --scale LEFT:RIGHT [--log] --depth Y0=D0,Y1=D1[,..]
//!               [--seed X,Y] [--step S] [--rows TOP:BOTTOM] [--well KEY=VALUE].. [--model PATH]
//!               [-o OUT.csv|OUT.las|OUT.json]
//! veer digitise SCAN --project FILE [--rows TOP:BOTTOM] [--well KEY=VALUE].. [-o OUT]
//! veer batch DIR --project FILE [--format las|csv|json] [--out-dir DIR] [--model PATH]
//! veer batch DIR --project FILE --cloud URL [--concurrency N] [--retries N] [--format ..] [--out-dir DIR]
//! veer calibrate SCAN [-o LAYOUT.json]
//! veer probe SCAN
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use veer::export::{write_log, Format, LasInfo};
use veer::limits::Limits;
use veer::model::Model;
use veer::params::{CalibrationText, Style};
use veer::pipeline::{digitise_project_bytes, DigitisedProject, Progress, Stage};
use veer::project::Project;

mod calibrate;
mod cloud;

#[derive(Parser)]
#[command(name = "veer", version, about = "Digitise scanned raster well logs into CSV, LAS 2.0 or JSON")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Digitise one curve of a scan (--track, --scale, --depth), or every curve of a project (--project).
    Digitise(DigitiseArgs),
    /// Digitise every scan in a folder with one shared project (or calibration) as template.
    Batch(BatchArgs),
    /// Propose a print's geometry without clicks: tracks, grids, depth lines, skew, depth column.
    Calibrate(calibrate::CalibrateArgs),
    /// Print what a scan's header says (format, size, bits) without decoding it.
    Probe {
        /// The scan (PNG, JPEG or TIFF).
        scan: PathBuf,
    },
}

#[derive(Args)]
struct ModelArgs {
    /// ONNX checkpoint (default: models/veernet-fp32.onnx next to the binary or the repository).
    #[arg(long, env = "VEER_MODEL")]
    model: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Threads the network's tiles run on (default: every core)
    #[arg(long, env = "VEER_THREADS", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
}

#[derive(Args)]
struct DigitiseArgs {
    /// The scan (PNG, JPEG or TIFF, including 1-bit CCITT G4).
    scan: PathBuf,
    /// A project JSON (every curve of the print, its interval and well header; as saved by the
    /// page), or a single-curve calibration JSON. Replaces --track, --scale, --depth and the rest.
    #[arg(long, conflicts_with_all = ["track", "scale", "log", "depth", "seed", "mnemonic", "unit", "depth_unit", "backup"])]
    project: Option<PathBuf>,
    /// Pixel columns of the track's left and right edges, X0:X1.
    #[arg(long, allow_hyphen_values = true, required_unless_present = "project")]
    track: Option<String>,
    /// Values at the left and right edges, LEFT:RIGHT (LEFT may exceed RIGHT).
    #[arg(long, allow_hyphen_values = true, required_unless_present = "project")]
    scale: Option<String>,
    /// Logarithmic value axis.
    #[arg(long)]
    log: bool,
    /// Backup (wrap-around) scales the curve continues on after running off the track's right
    /// edge, LEFT:RIGHT[,LEFT:RIGHT] (a gamma ray 0:150 with backup 150:300). At most 3.
    #[arg(long, allow_hyphen_values = true)]
    backup: Option<String>,
    /// Two or more depth tie points, ROW=DEPTH,ROW=DEPTH[,...].
    #[arg(long, allow_hyphen_values = true, required_unless_present = "project")]
    depth: Option<String>,
    /// A pixel X,Y on the wanted curve when the track holds several.
    #[arg(long)]
    seed: Option<String>,
    /// Output depth step (default: from the scan's depth per pixel; overrides the project's).
    #[arg(long)]
    step: Option<f64>,
    /// Curve mnemonic in LAS and JSON.
    #[arg(long)]
    mnemonic: Option<String>,
    /// Unit of the curve values (e.g. GAPI, OHMM).
    #[arg(long)]
    unit: Option<String>,
    /// Depth unit, M or FT.
    #[arg(long)]
    depth_unit: Option<String>,
    #[command(flatten)]
    project_args: ProjectArgs,
    /// Output file; the format follows the extension (.csv, .las, .json). CSV to stdout without it.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
}

/// What the command line adds to a project.
#[derive(Args)]
struct ProjectArgs {
    /// Trace only scan rows TOP to BOTTOM (the logged interval; overrides the project's).
    #[arg(long, value_name = "TOP:BOTTOM")]
    rows: Option<String>,
    /// A LAS well header field, KEY=VALUE (WELL, COMP, FLD, LOC, CNTY, STAT, CTRY, SRVC, DATE, UWI,
    /// API); repeat for several. Overrides the project's. WELL defaults to the scan's file name.
    #[arg(long, value_name = "KEY=VALUE")]
    well: Vec<String>,
}

#[derive(Args)]
struct BatchArgs {
    /// Folder of scans (.tif, .tiff, .png, .jpg, .jpeg).
    dir: PathBuf,
    /// Project (or single-curve calibration) JSON shared by all scans, as saved by the web page.
    #[arg(long, visible_alias = "calibration")]
    project: PathBuf,
    #[command(flatten)]
    project_args: ProjectArgs,
    /// Output format.
    #[arg(long, default_value = "las", value_parser = ["las", "csv", "json"])]
    format: String,
    /// Where outputs go (default: DIR/veer-out).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Send the scans to the cloud fallback's digitise URL instead of running them here; a re-run
    /// resumes from the manifest in the output folder
    #[arg(long)]
    cloud: Option<String>,
    /// With --cloud: scans in flight at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1000))]
    concurrency: u16,
    /// With --cloud: further tries of a scan refused with 429 or 5xx, dropped or timed out
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    retries: u32,
    /// With --cloud: longest wait for one answer, in seconds
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// With --cloud: send requests unsigned (a fallback deployed open); by default they are signed
    /// with AWS Signature Version 4 when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set
    #[arg(long)]
    unsigned: bool,
    #[command(flatten)]
    model: ModelArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Digitise(a) => run_digitise(a),
        Command::Batch(a) => run_batch(a),
        Command::Calibrate(a) => calibrate::run(&a).map(|()| ExitCode::SUCCESS),
        Command::Probe { scan } => run_probe(&scan),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the problem and what to do.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("veer: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The project a `digitise` run describes: the project file, or the one curve its flags give.
fn project_from(a: &DigitiseArgs) -> Result<Project> {
    let mut project = match &a.project {
        Some(path) => read_project(path)?,
        None => {
            let text = CalibrationText {
                track: a.track.clone().unwrap_or_default(),
                scale: a.scale.clone().unwrap_or_default(),
                log: a.log,
                depth: a.depth.clone().unwrap_or_default(),
                seed: a.seed.clone(),
                step: None,
                mnemonic: a.mnemonic.clone(),
                unit: a.unit.clone(),
                depth_unit: a.depth_unit.clone(),
                backup: a.backup.clone(),
            };
            Project::from_calibration(&text.parse(Style::Cli)?)
        }
    };
    if a.step.is_some() {
        project.step = a.step;
    }
    apply(&mut project, &a.project_args)?;
    project.validate()?;
    Ok(project)
}

fn read_project(path: &Path) -> Result<Project> {
    let json = std::fs::read_to_string(path).with_context(|| format!("cannot read the project {}", path.display()))?;
    Project::from_json(&json).with_context(|| path.display().to_string())
}

/// `--rows` and `--well` on top of a project.
fn apply(project: &mut Project, args: &ProjectArgs) -> Result<()> {
    if let Some(rows) = &args.rows {
        let bad = || anyhow!("--rows {rows:?} is not TOP:BOTTOM; give two scan rows, e.g. --rows 2500:10400");
        let (top, bottom) = rows.split_once(':').ok_or_else(bad)?;
        let top: f64 = top.trim().parse().map_err(|_| bad())?;
        let bottom: f64 = bottom.trim().parse().map_err(|_| bad())?;
        project.interval = Some([top, bottom]);
    }
    for kv in &args.well {
        let (key, value) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("--well {kv:?} is not KEY=VALUE; give e.g. --well UWI=15-051-25940"))?;
        project.well.insert(key.trim().to_ascii_uppercase(), value.trim().to_string());
    }
    Ok(())
}

/// Find the default checkpoint: next to the binary (or its install prefix), then the repository.
fn find_model(explicit: &Option<PathBuf>) -> Result<PathBuf> {
    find_model_file(explicit, "veernet-fp32.onnx", "--model")
}

/// Find a file of `models/` (`name`): `explicit` when given, else beside the binary (or its
/// install prefix), then in the repository; the error names the `flag` that points at it.
pub(crate) fn find_model_file(explicit: &Option<PathBuf>, name: &str, flag: &str) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.clone());
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            candidates.push(dir.join("models").join(name));
            candidates.push(dir.join("share/veer/models").join(name));
        }
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(name));
    candidates.push(PathBuf::from("models").join(name));
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("no models/{name} found beside the binary or in the repository; pass {flag} PATH"))
}

fn load_model(args: &ModelArgs) -> Result<Model> {
    let path = find_model(&args.model)?;
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the model {}", path.display()))?;
    let model = Model::from_bytes(&bytes).with_context(|| format!("model {}", path.display()))?;
    Ok(match args.threads {
        Some(n) => model.with_threads(usize::from(n)),
        None => model,
    })
}

fn stage_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:>8} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    // `YYYYMMDDTHHMMSSZ`: the one calendar conversion the crate has.
    let stamp = veer::sigv4::amz_date(secs);
    format!("{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8])
}

/// The output text, through the core's one writer ([`write_log`]: one curve in the
/// single-curve shapes, several on one depth index).
fn render(out: &DigitisedProject, scan: &Path, project: &Project, model: &Model, format: Format, ms: u128) -> String {
    let scan_name = scan.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut meta =
        serde_json::json!({ "ran": "cli", "model": model.precision(), "scan": scan_name, "ms": { "total": ms } });
    match out.curves.as_slice() {
        [one] => meta["stats"] = serde_json::json!(one.stats),
        many => {
            meta["curves"] =
                many.iter().map(|c| serde_json::json!({ "mnemonic": c.mnemonic, "stats": c.stats })).collect()
        }
    }
    let well = project.well_header(&scan.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default());
    // What was run: a plain calibration stays one; a project goes without its hand-edited
    // paths (long, and already in the data).
    let plain = project.curves.len() == 1 && project.interval.is_none() && project.exclude.is_empty();
    let calibration_json = match project.calibration(0) {
        Some(cal) if plain && project.curves[0].edited.is_none() => cal.to_json(),
        _ => project.settings_json(),
    };
    let info = LasInfo {
        well,
        source: scan_name,
        model: format!("VeerNet {}", model.precision()),
        date: today(),
        calibration_json,
    };
    write_log(&out.log, format, &info, &meta)
}

/// A progress callback that shows the curve and its stage on a bar.
fn curve_progress<'a>(bar: &'a ProgressBar, project: &'a Project) -> impl FnMut(usize, Progress) + 'a {
    let n = project.curves.len();
    move |i, p| {
        if p.done == 0 {
            let name = project.curves.get(i).map_or("", |c| c.mnemonic.as_str());
            if n > 1 {
                bar.set_message(format!("{name} ({}/{n}) {}", i + 1, p.stage.name()));
            } else {
                bar.set_message(p.stage.name());
            }
            bar.set_length(p.total as u64);
        }
        bar.set_position(p.done as u64);
    }
}

fn run_digitise(a: DigitiseArgs) -> Result<ExitCode> {
    let project = project_from(&a)?;
    let format = match &a.output {
        Some(p) => Format::from_file_name(&p.to_string_lossy())?,
        None => Format::Csv,
    };
    let bytes = std::fs::read(&a.scan).with_context(|| format!("cannot read the scan {}", a.scan.display()))?;
    let model = load_model(&a.model)?;
    let bar = stage_bar(a.model.quiet);
    let t0 = Instant::now();
    let out = digitise_project_bytes(&bytes, &project, &model, &Limits::default(), &mut curve_progress(&bar, &project))
        .with_context(|| a.scan.display().to_string())?;
    bar.finish_and_clear();
    let ms = t0.elapsed().as_millis();
    let text = render(&out, &a.scan, &project, &model, format, ms);
    match &a.output {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            if !a.model.quiet {
                report(&out, p, ms);
            }
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per run on stderr (and one per curve when there are several).
fn report(out: &DigitisedProject, dest: &Path, ms: u128) {
    let log = &out.log;
    let points = |i: usize| log.points(i);
    let range = |i: usize| {
        let p = points(i);
        match (p.first(), p.last()) {
            (Some(f), Some(l)) => format!("{} to {} {}", f.depth, l.depth, log.depth_unit),
            _ => "no depths".to_string(),
        }
    };
    let traced = |i: usize| match out.curves.get(i).and_then(|c| c.stats.as_ref()) {
        Some(s) => format!("{:.0}% of rows traced", s.coverage * 100.0),
        None => "from its edited path".to_string(),
    };
    if log.curves.len() == 1 {
        eprintln!(
            "veer: {} depths ({}, {}) written to {} in {:.1} s",
            points(0).len(),
            range(0),
            traced(0),
            dest.display(),
            ms as f64 / 1000.0
        );
        return;
    }
    for (i, c) in log.curves.iter().enumerate() {
        eprintln!("veer: {}: {} depths ({}, {})", c.mnemonic, points(i).len(), range(i), traced(i));
    }
    eprintln!(
        "veer: {} curves on {} depths (step {} {}) written to {} in {:.1} s",
        log.curves.len(),
        log.depth.len(),
        log.step,
        log.depth_unit,
        dest.display(),
        ms as f64 / 1000.0
    );
}

fn run_batch(a: BatchArgs) -> Result<ExitCode> {
    let mut project = read_project(&a.project)?;
    apply(&mut project, &a.project_args)?;
    project.validate().with_context(|| a.project.display().to_string())?;
    let format = Format::from_name(&a.format)?;
    let mut scans: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .with_context(|| format!("cannot list the folder {}", a.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(),
                    Some("tif" | "tiff" | "png" | "jpg" | "jpeg")
                )
        })
        .collect();
    scans.sort();
    if scans.is_empty() {
        bail!(
            "no scans (.tif, .tiff, .png, .jpg, .jpeg) in {}; point veer batch at the folder that holds them",
            a.dir.display()
        );
    }
    let out_dir = a.out_dir.clone().unwrap_or_else(|| a.dir.join("veer-out"));
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let bar = if a.model.quiet { ProgressBar::hidden() } else { ProgressBar::new(scans.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} scans {elapsed} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let t0 = Instant::now();
    if let Some(url) = &a.cloud {
        let settings = cloud::Cloud {
            url: url.clone(),
            concurrency: usize::from(a.concurrency),
            retries: a.retries,
            timeout: std::time::Duration::from_secs(a.timeout),
            sign: !a.unsigned,
        };
        let s = cloud::run(&settings, &scans, &project, format, &out_dir, &bar)?;
        bar.finish_and_clear();
        eprintln!(
            "veer: {} scans in {:.1} s through {url}: {} digitised into {}, {} already done (manifest {}), {} failed; \
             {} requests",
            scans.len(),
            t0.elapsed().as_secs_f64(),
            s.written,
            out_dir.display(),
            s.skipped,
            cloud::MANIFEST,
            s.failed.len(),
            s.requests
        );
        for (p, e) in &s.failed {
            eprintln!("  {}: {e}", p.display());
        }
        if !s.failed.is_empty() {
            eprintln!("veer: run the same command again to retry the failed scans (the others are skipped)");
        }
        return Ok(if s.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    let model = load_model(&a.model)?;
    let mut failed: Vec<(PathBuf, String)> = Vec::new();
    let mut written = 0usize;
    for scan in &scans {
        bar.set_message(scan.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default());
        let one = || -> Result<()> {
            let bytes = std::fs::read(scan).with_context(|| format!("cannot read {}", scan.display()))?;
            let t = Instant::now();
            let out = digitise_project_bytes(&bytes, &project, &model, &Limits::default(), &mut |_, p: Progress| {
                if p.stage == Stage::Infer {
                    bar.tick();
                }
            })?;
            let text = render(&out, scan, &project, &model, format, t.elapsed().as_millis());
            let stem = scan.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let dest = out_dir.join(format!("{stem}.{}", format.name()));
            std::fs::write(&dest, text).with_context(|| format!("cannot write {}", dest.display()))?;
            Ok(())
        };
        match one() {
            Ok(()) => written += 1,
            Err(e) => failed.push((scan.clone(), format!("{e:#}").replace('\n', " "))),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!(
        "veer: {} scans in {:.1} s: {written} digitised into {}, {} failed",
        scans.len(),
        t0.elapsed().as_secs_f64(),
        out_dir.display(),
        failed.len()
    );
    for (p, e) in &failed {
        eprintln!("  {}: {e}", p.display());
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run_probe(scan: &Path) -> Result<ExitCode> {
    let bytes = std::fs::read(scan).with_context(|| format!("cannot read the scan {}", scan.display()))?;
    let info = veer::decode::probe(&bytes)?;
    println!(
        "{}: {} {} x {} px, {} bit(s) per pixel, {} bytes",
        scan.display(),
        info.format.name(),
        info.width,
        info.height,
        info.bits_per_pixel,
        info.file_bytes
    );
    info.check(&Limits::default())?;
    Ok(ExitCode::SUCCESS)
}
