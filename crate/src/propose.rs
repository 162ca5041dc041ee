//! A whole print's calibration proposed without clicks: its geometry ([`crate::layout`])
//! and its depth ties, read from the numbers printed in the depth column
//! ([`crate::digits`]). What a person confirms or corrects, in the page or from
//! `veer calibrate`; with the scale values they type, [`Proposal::to_project`] makes the
//! project that digitises the print.
//!
//! ```json
//! {"version": 1,
//!  "layout": {"version": 1, "width": 1664, "height": 17864, "tracks": {"found": [...]}, ...},
//!  "depth": {"found": {"ties": [{"row": 2574.5, "depth": 250.0, "confidence": 0.97, "read": true}, ...],
//!                      "rejected": [...], "rows_per_unit": 10.15, "depth_at_row0": -3.6, "step": 50.0}},
//!  "scales": {"found": [{"tracks": [0, 0], "scale": [0.0, 150.0], "row": 2270.5, "confidence": 0.93},
//!                       {"tracks": [0, 0], "scale": [150.0, 300.0], "row": 2306.0, "confidence": 0.9, "backup_of": 0}, ...]}}
//! ```
//!
//! A scan found rotated (its skew at least [`MIN_ROTATION_DEGREES`]) gives a project that
//! carries the rotation and whose pixels are those of the straightened scan
//! ([`crate::deskew`]).
//!
//! `depth` is `{"absent": "why"}` when no digit reader was given, the layout found no depth
//! column, or fewer than two labels could be tied; `scales` when no digit reader was given or no
//! scale was read in the header above the log section ([`crate::digits::read_scales`]); nothing
//! is guessed.

use serde::Serialize;

use crate::decode::GrayImage;
use crate::deskew::{turned_point, MIN_ROTATION_DEGREES};
use crate::digits::{fit_depth, read_labels, read_scales, Classify, DepthFit, HeaderScale};
use crate::error::{Error, Result};
use crate::layout::{self, DepthLines, Finding, Layout, ProjectInput, Weight};
use crate::project::Project;

/// The proposal format version this build writes.
pub const PROPOSAL_VERSION: u32 = 1;

/// Share of the ties that must sit the same way off their depth lines for the ties to be
/// moved onto the lines (a print places every label the same way).
const ALIGN_SHARE: f64 = 0.7;
/// Rows by which the ties' offsets from their lines may differ and still be one placement.
const ALIGN_TOL_ROWS: f64 = 2.0;
/// Fewest heavy lines within the ties' rows that measure the labels' offset through the
/// lines' depths (the full-size render has 87 heavy lines, kinney-heinen-1-4's main section
/// 18 inside its ties' rows).
const MIN_HEAVY_LINES: usize = 4;
/// A heavy line's depth step (its every-n times the lines' depth spacing) is taken for a
/// round step within this share of it (kinney-heinen-1-4: 25 x 20.29 / 10.150 = 49.98 ft;
/// bright-1: 5 x 29.52 / 2.953 = 49.98 ft; the render: 10 x 15 / 3 = 50 ft).
const ROUND_STEP_TOL: f64 = 0.02;

/// A print's proposed calibration (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// [`PROPOSAL_VERSION`].
    pub version: u32,
    pub layout: Layout,
    /// Depth against row, from the depth column's numbers.
    pub depth: Finding<DepthFit>,
    /// The curves' scales printed in the header above the log section
    /// ([`crate::digits::read_scales`]), top to bottom per track; the tracks are
    /// [`Layout::tracks`]' indices.
    pub scales: Finding<Vec<HeaderScale>>,
}

/// Finds the layout of `img` and, with a digit reader, reads the depth column's numbers
/// and fits depth against row. Errors only for an image without pixels
/// ([`Error::BadInput`]); everything not found is [`Finding::Absent`] with the reason.
pub fn propose(img: &GrayImage, digits: Option<&dyn Classify>) -> Result<Proposal> {
    let layout = layout::find(img)?;
    let depth = match (digits, &layout.depth_column) {
        (None, _) => Finding::Absent("no digit reader was given, so the depth numbers were not read".into()),
        (Some(_), Finding::Absent(why)) => Finding::Absent(format!("no depth column: {why}")),
        (Some(reader), Finding::Found(column)) => {
            // The column's widest extent over the print's rows: a skewed print moves it.
            let rows = [0.0, f64::from(img.height.saturating_sub(1))];
            let x0 = rows.iter().map(|&r| column.left.x_along(r)).fold(f64::INFINITY, f64::min);
            let x1 = rows.iter().map(|&r| column.right.x_along(r)).fold(f64::NEG_INFINITY, f64::max);
            let (x0, x1) = (x0.floor().max(0.0) as u32, (x1.ceil().max(0.0) as u32).min(img.width));
            let readings = read_labels(img, x0, x1, reader)?;
            let mut fit = fit_depth(&readings);
            if let Finding::Found(lines) = &layout.depth_lines {
                align_to_lines(&mut fit, lines, (f64::from(x0) + f64::from(x1)) / 2.0);
            }
            if fit.ties.len() >= 2 {
                Finding::Found(fit)
            } else {
                Finding::Absent(fit.missing.clone().unwrap_or_else(|| {
                    format!(
                        "{} depth label(s) read in columns {x0}-{x1}, too few to tie depth to row",
                        readings.iter().filter(|r| r.value.is_finite()).count()
                    )
                }))
            }
        }
    };
    let scales = header_scales(img, &layout, &depth, digits)?;
    Ok(Proposal { version: PROPOSAL_VERSION, layout, depth, scales })
}

/// The scales printed in the header above the log section that holds the depth ties (the
/// first section without ties), and above one depth-line spacing over its first line.
fn header_scales(
    img: &GrayImage,
    layout: &Layout,
    depth: &Finding<DepthFit>,
    digits: Option<&dyn Classify>,
) -> Result<Finding<Vec<HeaderScale>>> {
    let Some(reader) = digits else {
        return Ok(Finding::Absent("no digit reader was given, so the header was not read".into()));
    };
    let tracks = match &layout.tracks {
        Finding::Found(t) => t,
        Finding::Absent(why) => return Ok(Finding::Absent(format!("no tracks: {why}"))),
    };
    let ties = depth.found().map(DepthFit::depth).unwrap_or_default();
    let Some(section) =
        section_holding(layout, &ties).or_else(|| layout.depth_lines.found()?.sections.first().map(|s| s.rows))
    else {
        return Ok(Finding::Absent("no log section was found, so nothing is known to be its header".into()));
    };
    // above the grid's ends that stand over the first depth line (kinney-heinen-1-4: 10 rows)
    let top = section[0] - layout.depth_lines.found().map_or(0.0, |l| l.spacing);
    let edges: Vec<[f64; 2]> = tracks.iter().map(|t| [t.left.x_at(top), t.right.x_at(top)]).collect();
    let scales = read_scales(img, &edges, top, reader)?;
    Ok(if scales.is_empty() {
        Finding::Absent(format!("no scale values were read against the tracks' edges in the header above row {top:.0}"))
    } else {
        Finding::Found(scales)
    })
}

/// The rows `[top, bottom]` of the depth-line section holding the middle of `ties`.
fn section_holding(layout: &Layout, ties: &[[f64; 2]]) -> Option<[f64; 2]> {
    let lines = layout.depth_lines.found()?;
    let mut rows: Vec<f64> = ties.iter().map(|t| t[0]).collect();
    rows.sort_by(f64::total_cmp);
    let mid = *rows.get(rows.len() / 2)?;
    lines.sections.iter().find(|s| s.rows[0] <= mid && mid <= s.rows[1]).map(|s| s.rows)
}

/// Moves the ties from their labels' centres onto the depth lines they mark. A print
/// prints each depth label the same way relative to its line: centred on it
/// (kinney-heinen-1-4), or just above it (the full-size render: 12.5 rows, most of a
/// depth-line spacing). The labels' offset from their lines is measured in one of two ways,
/// and every tie moves by it when the labels agree on it (at least [`ALIGN_SHARE`] of them
/// within [`ALIGN_TOL_ROWS`]); otherwise (weights unclear on a worn print, a fit that does
/// not match the grid) the ties stay on the labels' centres.
///
/// 1. [`offset_to_marked_lines`]: each tie to the nearest medium or heavy line within one
///    and a half spacings (labels mark those), where the layout tells those weights apart.
/// 2. [`offset_to_heavy_depths`]: where it does not (the render's 25 ft medium lines are
///    1 px like its light ones, and no darker: they are classed light), through the heavy
///    lines, which lie at round depths.
fn align_to_lines(fit: &mut DepthFit, lines: &DepthLines, column: f64) {
    if fit.ties.is_empty() {
        return;
    }
    let Some(offset) =
        offset_to_marked_lines(fit, lines, column).or_else(|| offset_to_heavy_depths(fit, lines, column))
    else {
        return;
    };
    for t in &mut fit.ties {
        t.row = ((t.row + offset) * 100.0).round() / 100.0;
    }
    if fit.rows_per_unit > 0.0 {
        fit.depth_at_row0 -= offset / fit.rows_per_unit;
    }
}

/// The depth lines' rows at `column`, of the lines at least `weight`.
fn rows_at(lines: &DepthLines, column: f64, weight: Weight) -> Vec<f64> {
    lines.lines.iter().filter(|l| l.weight >= weight).map(|l| l.row + l.slope * (column - lines.at_column)).collect()
}

/// The median of `offsets` when at least [`ALIGN_SHARE`] of them lie within
/// [`ALIGN_TOL_ROWS`] of it.
fn agreed(offsets: &[f64]) -> Option<f64> {
    let mut sorted = offsets.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = *sorted.get(sorted.len() / 2)?;
    let agree = offsets.iter().filter(|d| (*d - median).abs() <= ALIGN_TOL_ROWS).count();
    (agree as f64 >= ALIGN_SHARE * offsets.len() as f64).then_some(median)
}

/// The labels' offset from the medium or heavy lines nearest them (within one and a half
/// spacings), when they agree on one.
fn offset_to_marked_lines(fit: &DepthFit, lines: &DepthLines, column: f64) -> Option<f64> {
    let marked = rows_at(lines, column, Weight::Medium);
    let reach = lines.spacing * 1.5;
    let offsets: Vec<f64> = fit
        .ties
        .iter()
        .filter_map(|t| {
            let i = marked.partition_point(|&r| r < t.row);
            [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|k| marked.get(k))
                .map(|r| r - t.row)
                .filter(|d| d.abs() <= reach)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()))
        })
        .collect();
    agreed(&offsets)
}

/// The labels' offset from their lines, through the heavy lines: a heavy line every `n`
/// lines is at a whole multiple of a round depth step (`n` times the lines' depth spacing,
/// as the fit gives it: 50 ft on the render and on kinney-heinen-1-4), so the fit's depth at
/// each heavy line, against the nearest such multiple, says how far the fit (and the labels
/// it came from) sits off the lines. Counted when the heavy lines within the ties' rows agree
/// on one offset ([`agreed`]), it is smaller than one depth-line spacing, and the labels
/// agree: at least [`ALIGN_SHARE`] of the ties, moved by it, land within [`ALIGN_TOL_ROWS`]
/// of a depth line.
fn offset_to_heavy_depths(fit: &DepthFit, lines: &DepthLines, column: f64) -> Option<f64> {
    let k = fit.rows_per_unit;
    let every = f64::from(lines.heavy_every?);
    if k <= 0.0 || lines.spacing <= 0.0 {
        return None;
    }
    let step = round_step(every * lines.spacing / k)?;
    let (first, last) = (fit.ties.first()?.row, fit.ties.last()?.row);
    let offsets: Vec<f64> = rows_at(lines, column, Weight::Heavy)
        .into_iter()
        .filter(|&r| r >= first - step * k && r <= last + step * k)
        .map(|r| {
            let depth = fit.depth_at(r);
            r - ((depth / step).round() * step - fit.depth_at_row0) * k
        })
        .collect();
    if offsets.len() < MIN_HEAVY_LINES {
        return None;
    }
    let offset = agreed(&offsets).filter(|o| o.abs() < lines.spacing)?;
    let all = rows_at(lines, column, Weight::Light);
    let on_line = fit
        .ties
        .iter()
        .filter(|t| {
            let row = t.row + offset;
            let i = all.partition_point(|&r| r < row);
            [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .any(|j| all.get(j).is_some_and(|r| (r - row).abs() <= ALIGN_TOL_ROWS))
        })
        .count();
    (on_line as f64 >= ALIGN_SHARE * fit.ties.len() as f64).then_some(offset)
}

/// `v` as a round depth step (1, 2, 2.5 or 5 times a power of ten) when it is within
/// [`ROUND_STEP_TOL`] of one.
fn round_step(v: f64) -> Option<f64> {
    if !(v.is_finite() && v > 0.0) {
        return None;
    }
    let scale = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * scale).find(|r| (v - r).abs() <= ROUND_STEP_TOL * r)
}

impl Proposal {
    /// The first scale the header prints over tracks `first..=last` (that is no backup of
    /// another), and its backup scales in order: what a curve over those tracks reads its
    /// values on. `None` when the header gave none over exactly those tracks.
    pub fn header_scale(&self, first: usize, last: usize) -> Option<([f64; 2], Vec<[f64; 2]>)> {
        let scales = self.scales.found()?;
        let main = scales.iter().position(|s| s.tracks == [first, last] && s.backup_of.is_none())?;
        let mut backups = Vec::new();
        let mut at = main;
        while let Some(next) = scales.iter().position(|s| s.backup_of == Some(at)) {
            backups.push(scales[next].scale);
            at = next;
        }
        Some((scales[main].scale, backups))
    }

    /// The project for this print from the scale values a person typed. Depth ties given
    /// in `input` win; without them the proposal's own are used.
    ///
    /// Errors: [`Error::BadParameter`] when neither gives two depth ties, or as
    /// [`layout::to_project`].
    ///
    /// The project's `interval` is the log section that holds the depth ties: the run of
    /// depth lines at one spacing whose rows hold the middle tie (a print's header above it
    /// and a repeat section below are then left out); none when the layout found no such
    /// section.
    pub fn to_project(&self, input: &ProjectInput) -> Result<Project> {
        let mut input = input.clone();
        if input.depth.is_empty() {
            match &self.depth {
                Finding::Found(fit) => input.depth = fit.depth(),
                Finding::Absent(why) => {
                    return Err(Error::bad_parameter(format!(
                        "no depth ties: the depth numbers gave none ({why}); give two or more as ROW=DEPTH"
                    )))
                }
            }
        }
        let mut project = layout::to_project(&self.layout, &input)?;
        project.interval = section_holding(&self.layout, &input.depth);
        if let Finding::Found(skew) = &self.layout.skew {
            if skew.degrees.abs() >= MIN_ROTATION_DEGREES {
                self.straighten(&mut project, skew.degrees, &input);
            }
        }
        Ok(project)
    }

    /// Puts a project made on the rotated scan into the straightened scan's pixels
    /// ([`crate::deskew`]): each track's edges where they land at the ties' middle row, each
    /// tie's row where it lands at the depth column, the interval at the column its
    /// depth lines were measured at, each seed where it lands.
    fn straighten(&self, project: &mut Project, degrees: f64, input: &ProjectInput) {
        let (w, h) = (self.layout.width, self.layout.height);
        let turn = |x: f64, y: f64| turned_point(x, y, -degrees, w, h);
        let round = |v: f64| (v * 100.0).round() / 100.0;
        let mid = layout::track_row(&self.layout, &input.depth);
        for c in &mut project.curves {
            c.track = [round(turn(c.track[0], mid).0), round(turn(c.track[1], mid).0)];
            c.seed = c.seed.map(|[x, y]| {
                let (x, y) = turn(x, y);
                [round(x), round(y)]
            });
        }
        let column = match &self.layout.depth_column {
            Finding::Found(dc) => (dc.left.x_along(mid) + dc.right.x_along(mid)) / 2.0,
            Finding::Absent(_) => f64::from(w) / 2.0,
        };
        for d in &mut project.depth {
            d[0] = round(turn(column, d[0]).1);
        }
        let at = self.layout.depth_lines.found().map_or(f64::from(w) / 2.0, |l| l.at_column);
        project.interval = project.interval.map(|[a, b]| [round(turn(at, a).1), round(turn(at, b).1)]);
        project.rotation = Some(degrees);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::Tie;
    use crate::layout::DepthLine;

    /// Depth lines every 15 rows (5 ft at 3 rows per foot, row 0 at 3,000 ft), every 10th
    /// heavy and the rest light (the render's 25 ft medium lines are not told apart), and
    /// labels every 50 ft at 25 ft past the heavy lines, their centres `offset(i)` rows off
    /// their lines.
    fn print(offset: impl Fn(usize) -> f64) -> (DepthFit, DepthLines) {
        let lines: Vec<DepthLine> = (0..800)
            .map(|i| DepthLine {
                row: 15.0 * i as f64,
                slope: 0.0,
                weight: if i % 10 == 0 { Weight::Heavy } else { Weight::Light },
                ink: 1.0,
            })
            .collect();
        let lines = DepthLines {
            spacing: 15.0,
            regularity: 1.0,
            slope: 0.0,
            at_column: 600.0,
            medium_every: Some(10),
            heavy_every: Some(10),
            count: lines.len(),
            sections: Vec::new(),
            lines,
        };
        let ties: Vec<Tie> = (0..70)
            .map(|i| {
                let depth = 3025.0 + 50.0 * i as f64;
                Tie { row: (depth - 3000.0) * 3.0 + offset(i), depth, confidence: 0.9, read: true }
            })
            .collect();
        // The fit through the labels' centres: their mean offset moves it.
        let mean = (0..70).map(&offset).sum::<f64>() / 70.0;
        let fit = DepthFit {
            ties,
            rejected: Vec::new(),
            rows_per_unit: 3.0,
            depth_at_row0: 3000.0 - mean / 3.0,
            step: Some(50.0),
            missing: None,
        };
        (fit, lines)
    }

    #[test]
    fn labels_printed_above_their_lines_move_onto_them() {
        // 12.5 rows above, give or take half a row.
        let (mut fit, lines) = print(|i| -12.5 + if i % 2 == 0 { 0.5 } else { -0.5 });
        align_to_lines(&mut fit, &lines, 600.0);
        for t in &fit.ties {
            let want = (t.depth - 3000.0) * 3.0;
            assert!((t.row - want).abs() <= 0.5, "{} ft at row {}, its line is at {want}", t.depth, t.row);
        }
        assert!((fit.depth_at(75.0) - 3025.0).abs() <= 0.2, "{}", fit.depth_at(75.0));
    }

    #[test]
    fn labels_that_disagree_stay_where_they_are() {
        // Offsets spread over a whole spacing: no one placement.
        let (mut fit, lines) = print(|i| -12.0 + 24.0 * ((i * 7) % 11) as f64 / 10.0);
        let before = fit.clone();
        align_to_lines(&mut fit, &lines, 600.0);
        assert_eq!(fit, before);
    }
}
