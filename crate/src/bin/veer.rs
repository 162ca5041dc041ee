//! `veer`: digitise scanned well logs from the command line.
//!
//! ```text
//! veer digitise SCAN --track X0:X1 --scale LEFT:RIGHT [--log] --depth Y0=D0,Y1=D1[,..]
//!               [--seed X,Y] [--step S] [--model PATH] [-o OUT.csv|OUT.las|OUT.json]
//! veer batch DIR --calibration FILE [--format las|csv|json] [--out-dir DIR] [--model PATH]
//! veer probe SCAN
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use veer::calibrate::Calibration;
use veer::export::{to_csv, to_json, to_las, LasInfo};
use veer::limits::Limits;
use veer::model::Model;
use veer::params::{CalibrationText, Style};
use veer::pipeline::{digitise_bytes, Digitised, Progress, Stage};

#[derive(Parser)]
#[command(name = "veer", version, about = "Digitise scanned raster well logs into CSV, LAS 2.0 or JSON")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Digitise one curve of one scan.
    Digitise(DigitiseArgs),
    /// Digitise every scan in a folder with one shared calibration.
    Batch(BatchArgs),
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
}

#[derive(Args)]
struct DigitiseArgs {
    /// The scan (PNG, JPEG or TIFF, including 1-bit CCITT G4).
    scan: PathBuf,
    /// Pixel columns of the track's left and right edges, X0:X1.
    #[arg(long, allow_hyphen_values = true)]
    track: String,
    /// Values at the left and right edges, LEFT:RIGHT (LEFT may exceed RIGHT).
    #[arg(long, allow_hyphen_values = true)]
    scale: String,
    /// Logarithmic value axis.
    #[arg(long)]
    log: bool,
    /// Two or more depth tie points, ROW=DEPTH,ROW=DEPTH[,...].
    #[arg(long, allow_hyphen_values = true)]
    depth: String,
    /// A pixel X,Y on the wanted curve when the track holds several.
    #[arg(long)]
    seed: Option<String>,
    /// Output depth step (default: from the scan's depth per pixel).
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
    /// Output file; the format follows the extension (.csv, .las, .json). CSV to stdout without it.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
struct BatchArgs {
    /// Folder of scans (.tif, .tiff, .png, .jpg, .jpeg).
    dir: PathBuf,
    /// Calibration JSON shared by all scans (as saved by the web page).
    #[arg(long)]
    calibration: PathBuf,
    /// Output format.
    #[arg(long, default_value = "las", value_parser = ["las", "csv", "json"])]
    format: String,
    /// Where outputs go (default: DIR/veer-out).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Digitise(a) => run_digitise(a),
        Command::Batch(a) => run_batch(a),
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

fn calibration_from(a: &DigitiseArgs) -> Result<Calibration> {
    let text = CalibrationText {
        track: a.track.clone(),
        scale: a.scale.clone(),
        log: a.log,
        depth: a.depth.clone(),
        seed: a.seed.clone(),
        step: a.step.map(|s| s.to_string()),
        mnemonic: a.mnemonic.clone(),
        unit: a.unit.clone(),
        depth_unit: a.depth_unit.clone(),
    };
    Ok(text.parse(Style::Cli)?)
}

/// Find the default checkpoint: next to the binary (or its install prefix), then the repository.
fn find_model(explicit: &Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.clone());
    }
    let name = "veernet-fp32.onnx";
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            candidates.push(dir.join("models").join(name));
            candidates.push(dir.join("share/veer/models").join(name));
        }
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models").join(name));
    candidates.push(PathBuf::from("models").join(name));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        anyhow!("no model found (looked for models/{name} beside the binary and in the repository); pass --model PATH")
    })
}

fn load_model(args: &ModelArgs) -> Result<Model> {
    let path = find_model(&args.model)?;
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the model {}", path.display()))?;
    Model::from_bytes(&bytes).with_context(|| format!("model {}", path.display()))
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

fn show(bar: &ProgressBar, p: Progress) {
    if p.done == 0 {
        bar.set_message(p.stage.name());
        bar.set_length(p.total as u64);
    }
    bar.set_position(p.done as u64);
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn render(out: &Digitised, scan: &Path, cal: &Calibration, model: &Model, format: &str, ms: u128) -> Result<String> {
    Ok(match format {
        "csv" => to_csv(&out.curve),
        "json" => {
            let meta = serde_json::json!({
                "ran": "cli",
                "model": model.precision(),
                "scan": scan.file_name().map(|n| n.to_string_lossy().to_string()),
                "ms": { "total": ms },
                "stats": out.stats,
            });
            to_json(&out.curve, &meta)
        }
        "las" => {
            let stem = scan.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            to_las(
                &out.curve,
                &LasInfo {
                    well: stem,
                    source: scan.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
                    model: format!("VeerNet {}", model.precision()),
                    date: today(),
                    calibration_json: cal.to_json(),
                },
            )
        }
        other => bail!("unknown output format {other:?}; use .csv, .las or .json"),
    })
}

fn format_of(path: &Path) -> Result<&'static str> {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("csv") => Ok("csv"),
        Some("las") => Ok("las"),
        Some("json") => Ok("json"),
        _ => bail!("cannot tell the output format of {}; name it .csv, .las or .json", path.display()),
    }
}

fn run_digitise(a: DigitiseArgs) -> Result<ExitCode> {
    let cal = calibration_from(&a)?;
    let format = match &a.output {
        Some(p) => format_of(p)?,
        None => "csv",
    };
    let bytes = std::fs::read(&a.scan).with_context(|| format!("cannot read the scan {}", a.scan.display()))?;
    let model = load_model(&a.model)?;
    let bar = stage_bar(a.model.quiet);
    let t0 = Instant::now();
    let out = digitise_bytes(&bytes, &cal, &model, &Limits::default(), &mut |p| show(&bar, p))
        .with_context(|| a.scan.display().to_string())?;
    bar.finish_and_clear();
    let ms = t0.elapsed().as_millis();
    let text = render(&out, &a.scan, &cal, &model, format, ms)?;
    let points = out.curve.points();
    let range = match (points.first(), points.last()) {
        (Some(f), Some(l)) => format!("{} to {} {}", f.depth, l.depth, out.curve.depth_unit),
        _ => "no depths".to_string(),
    };
    match &a.output {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            if !a.model.quiet {
                eprintln!(
                    "veer: {} depths ({range}, {:.0}% of rows traced) written to {} in {:.1} s",
                    points.len(),
                    out.stats.coverage * 100.0,
                    p.display(),
                    ms as f64 / 1000.0
                );
            }
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn run_batch(a: BatchArgs) -> Result<ExitCode> {
    let json = std::fs::read_to_string(&a.calibration)
        .with_context(|| format!("cannot read the calibration {}", a.calibration.display()))?;
    let cal = Calibration::from_json(&json).with_context(|| a.calibration.display().to_string())?;
    cal.validate()?;
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
        bail!("no scans (.tif, .tiff, .png, .jpg, .jpeg) in {}; point veer batch at the folder that holds them", a.dir.display());
    }
    let out_dir = a.out_dir.clone().unwrap_or_else(|| a.dir.join("veer-out"));
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let model = load_model(&a.model)?;
    let bar = if a.model.quiet { ProgressBar::hidden() } else { ProgressBar::new(scans.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} scans {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let t0 = Instant::now();
    let mut failed: Vec<(PathBuf, String)> = Vec::new();
    let mut written = 0usize;
    for scan in &scans {
        bar.set_message(scan.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default());
        let one = || -> Result<()> {
            let bytes = std::fs::read(scan).with_context(|| format!("cannot read {}", scan.display()))?;
            let t = Instant::now();
            let out = digitise_bytes(&bytes, &cal, &model, &Limits::default(), &mut |p: Progress| {
                if p.stage == Stage::Infer {
                    bar.tick();
                }
            })?;
            let text = render(&out, scan, &cal, &model, &a.format, t.elapsed().as_millis())?;
            let stem = scan.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let dest = out_dir.join(format!("{stem}.{}", a.format));
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
