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
//!                      "rejected": [...], "rows_per_unit": 10.15, "depth_at_row0": -3.6, "step": 50.0}}}
//! ```
//!
//! A scan found rotated (its skew at least [`MIN_ROTATION_DEGREES`]) gives a project that
//! carries the rotation and whose pixels are those of the straightened scan
//! ([`crate::deskew`]).
//!
//! `depth` is `{"absent": "why"}` when no digit reader was given, the layout found no depth
//! column, or fewer than two labels could be tied; nothing is guessed.

use serde::Serialize;

use crate::decode::GrayImage;
use crate::deskew::{turned_point, MIN_ROTATION_DEGREES};
use crate::digits::{fit_depth, read_labels, Classify, DepthFit};
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

/// A print's proposed calibration (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// [`PROPOSAL_VERSION`].
    pub version: u32,
    pub layout: Layout,
    /// Depth against row, from the depth column's numbers.
    pub depth: Finding<DepthFit>,
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
    Ok(Proposal { version: PROPOSAL_VERSION, layout, depth })
}

/// Moves the ties from their labels' centres onto the depth lines they mark. A print
/// prints each depth label the same way relative to its line: centred on it
/// (kinney-heinen-1-4), or just above it (the rendered prints: 12.5 rows, most of a
/// depth-line spacing). Each tie's offset is measured to the nearest medium or heavy
/// line within one and a half spacings (labels mark those); when at least
/// [`ALIGN_SHARE`] of the ties so measured agree on one offset within
/// [`ALIGN_TOL_ROWS`], every tie moves by it. Otherwise (weights unclear on a worn print)
/// the ties stay on the labels' centres. Known limit: where the layout does not tell a
/// medium line from a light one (the rendered prints' 25 ft lines) and the labels on
/// heavy lines are not read, nothing is measured and the ties stay up to most of a
/// spacing off their lines.
fn align_to_lines(fit: &mut DepthFit, lines: &DepthLines, column: f64) {
    let marked: Vec<f64> = lines
        .lines
        .iter()
        .filter(|l| l.weight >= Weight::Medium)
        .map(|l| l.row + l.slope * (column - lines.at_column))
        .collect();
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
    if fit.ties.is_empty() || offsets.is_empty() {
        return;
    }
    let mut sorted = offsets.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let agree = offsets.iter().filter(|d| (*d - median).abs() <= ALIGN_TOL_ROWS).count();
    if (agree as f64) < ALIGN_SHARE * offsets.len() as f64 {
        return;
    }
    for t in &mut fit.ties {
        t.row = ((t.row + median) * 100.0).round() / 100.0;
    }
    if fit.rows_per_unit > 0.0 {
        fit.depth_at_row0 -= median / fit.rows_per_unit;
    }
}

impl Proposal {
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
        project.interval = self.section_of(&input.depth);
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

    /// The rows `[top, bottom]` of the depth-line section holding the middle of `ties`.
    fn section_of(&self, ties: &[[f64; 2]]) -> Option<[f64; 2]> {
        let lines = self.layout.depth_lines.found()?;
        let mut rows: Vec<f64> = ties.iter().map(|t| t[0]).collect();
        rows.sort_by(f64::total_cmp);
        let mid = *rows.get(rows.len() / 2)?;
        lines.sections.iter().find(|s| s.rows[0] <= mid && mid <= s.rows[1]).map(|s| s.rows)
    }
}
