//! A print's geometry, found without clicks: the tracks' edges and grids, the depth lines and
//! their spacing, the skew, and the depth column. What [`find`] returns is a proposal for a
//! person to accept or correct; [`to_project`] turns it, with the values the person types
//! (each curve's scale, the depth ties), into a [`Project`], the one contract for digitising.
//!
//! The steps, one file each, in order:
//!
//! | step | file | what it does |
//! |---|---|---|
//! | 1 | [`ink`] | the ink threshold (Otsu); ink per column per band of rows, per row per strip of columns |
//! | 2 | [`skew`] | the slope of the vertical lines (bands) and of the horizontal ones (strips), by projection |
//! | 3 | [`drift`] | a frame in which the vertical lines stand upright: the rotation and each block's wobble |
//! | 4 | [`vertical`] | the vertical lines: peaks per block, linked across blocks, fitted with straight lines |
//! | 5 | [`tracks`] | which spaces between lines are ruled by depth lines (across their middle too): runs of them are the tracks, split where two share an edge; an outer edge hidden in a scan border placed one grid division out |
//! | 6 | [`grid`] | each track's grid: linear with `n` divisions, or logarithmic with `d` decades |
//! | 7 | [`depth_lines`] | the depth lines inside the tracks: rows, weight classes, spacing |
//!
//! Every tuned value is in [`tune`], with the case that set it.
//!
//! # The JSON ([`LAYOUT_VERSION`] 1)
//!
//! Rows and columns are scan pixels, 0 at the top left. A straight line down the scan (a
//! track edge) is `{"x0": column at row 0, "slope": columns per row, "rows": [first, last
//! row measured], "max_deviation": farthest measured point from the line, "outliers":
//! points left out of the fit, "points": [[row, column], ...] measured once per 512 rows}`;
//! a real print that wobbles as it went through the scanner is better followed by its
//! points than by the line. An edge placed from the grid, where no line was found (a first or
//! last track's outer edge hidden in a scan border, [`tracks::extend_outer_edges`]), says so
//! and how in `"inferred": "..."`. Each finding is either `{"found": ...}` or `{"absent": "why"}`.
//!
//! ```json
//! {"version": 1, "width": 1664, "height": 17864, "ink_threshold": 128,
//!  "skew": {"found": {"degrees": 0.01, "from_edges": 0.01, "from_depth_lines": 0.02, "confidence": 0.9}},
//!  "tracks": {"found": [
//!    {"left": {"x0": 1.1, "slope": 0.0, "rows": [256, 17600], "max_deviation": 0.4, "outliers": 0, "points": [[256, 1.1]]},
//!     "right": {"x0": 499.0, "slope": 0.0, "rows": [256, 17600], "max_deviation": 0.5, "outliers": 0, "points": []},
//!     "lines": [1.1, 50.0, 100.0], "presence": 0.62,
//!     "grid": {"found": {"kind": "linear", "divisions": 10, "score": 1.0, "confidence": 0.99}}}]},
//!  "depth_lines": {"found": {"spacing": 20.3, "regularity": 0.97, "slope": 0.0, "at_column": 832.0,
//!     "medium_every": 5, "heavy_every": 25, "count": 638,
//!     "sections": [{"rows": [2534.0, 11609.5], "spacing": 20.3, "count": 448}],
//!     "lines": [{"row": 2575.0, "slope": 0.0, "weight": "heavy", "ink": 4.0}]}},
//!  "depth_column": {"found": {"left": {"x0": 499.0}, "right": {"x0": 665.0}, "between": [0, 1], "ink": 0.03,
//!     "confidence": 1.0}}}
//! ```
//!
//! A grid is `{"kind": "linear", "divisions": n}` or `{"kind": "log", "decades": d,
//! "start_mantissa": m}` (the left edge is at a value `m * 10^k`), with its `score` (the
//! harmonic mean of the share of the model's lines found and of the found lines the model
//! expects) and a `confidence` (the score, less where the other kind explains the lines too).
//! A depth line's `row` is where it crosses column `at_column`; elsewhere it is
//! `row + slope * (column - at_column)` (each line has its own slope; the whole scan's is
//! `depth_lines.slope`). `sections` are the runs of lines at one spacing: the log section(s).
//! `medium_every` and `heavy_every` say that every n-th
//! line is at least that heavy. `skew.degrees` is positive when a vertical line's column grows
//! down the scan (and a rotated print's depth lines rise to the right).
//!
//! # Limits
//! A track is found only where the depth lines cross it (a track without horizontal grid is
//! taken for a gap); a line must be dark along 30 % of the scan's rows; the depth column is
//! the inkiest unruled gap between two tracks, and is absent on a print of one track.

mod depth_lines;
mod drift;
mod grid;
mod ink;
mod skew;
mod tracks;
pub mod tune;
mod vertical;

use serde::{Deserialize, Serialize};

use crate::decode::GrayImage;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::project::{Project, ProjectCurve, PROJECT_VERSION};

use tune::{BAND_ROWS, STRIP_COLS};

/// The layout format version this build writes.
pub const LAYOUT_VERSION: u32 = 1;

/// Something found, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Finding<T> {
    Found(T),
    Absent(String),
}

impl<T> Finding<T> {
    /// The finding, if found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Finding::Found(t) => Some(t),
            Finding::Absent(_) => None,
        }
    }
}

/// A print's geometry (see the module documentation for its JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// [`LAYOUT_VERSION`].
    pub version: u32,
    pub width: u32,
    pub height: u32,
    /// Gray level under which a pixel counted as ink.
    pub ink_threshold: u8,
    pub skew: Finding<Skew>,
    /// Left to right.
    pub tracks: Finding<Vec<Track>>,
    pub depth_lines: Finding<DepthLines>,
    pub depth_column: Finding<DepthColumn>,
}

/// The scan's rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skew {
    /// The angle used: from the vertical lines where they were found (they span the scan's
    /// length, so they measure it best), else from the depth lines.
    pub degrees: f64,
    /// Measured from the vertical lines (track edges and grid).
    pub from_edges: Option<f64>,
    /// Measured from the depth lines (the angle that rotates them level, same sign convention).
    pub from_depth_lines: Option<f64>,
    /// How clearly straight lines stood out at the angle (0 to 1).
    pub confidence: f64,
}

/// A straight line down the scan: column `x0 + slope * row`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeLine {
    /// Column at row 0.
    pub x0: f64,
    /// Columns per row.
    pub slope: f64,
    /// First and last rows where it was measured.
    pub rows: [f64; 2],
    /// Farthest measured point from the line, in columns.
    pub max_deviation: f64,
    /// Measured points left out of the fit.
    pub outliers: usize,
    /// Measured `[row, column]` points, one per block of rows where the line was found.
    pub points: Vec<[f64; 2]>,
    /// Set when no line was found there and the edge is placed from the grid beside it, with
    /// how (a first or last track's outer edge hidden in a scan border: its line and points are
    /// the outermost line's found, one grid division out); absent for a line found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<String>,
}

impl EdgeLine {
    /// The line's column at `row`.
    pub fn x_at(&self, row: f64) -> f64 {
        self.x0 + self.slope * row
    }

    /// The column at `row` through the measured points (piecewise linear between them, and
    /// on at the slope of the first two or last two beyond them): follows a print that wobbled.
    pub fn x_along(&self, row: f64) -> f64 {
        let p = &self.points;
        let n = p.len();
        let slope = |a: &[f64; 2], b: &[f64; 2]| if b[0] > a[0] { (b[1] - a[1]) / (b[0] - a[0]) } else { self.slope };
        match p.iter().position(|q| q[0] > row) {
            _ if n < 2 => self.x_at(row),
            Some(0) => p[0][1] + slope(&p[0], &p[1]) * (row - p[0][0]),
            None => p[n - 1][1] + slope(&p[n - 2], &p[n - 1]) * (row - p[n - 1][0]),
            Some(j) => {
                let f = (row - p[j - 1][0]) / (p[j][0] - p[j - 1][0]);
                p[j - 1][1] * (1.0 - f) + p[j][1] * f
            }
        }
    }
}

/// One track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub left: EdgeLine,
    pub right: EdgeLine,
    /// Columns of the track's vertical lines (edges included) at the scan's middle row.
    pub lines: Vec<f64>,
    /// Share of the scan's blocks of rows in which both edges were found.
    pub presence: f64,
    pub grid: Finding<Grid>,
}

/// A track's grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    #[serde(flatten)]
    pub kind: GridKind,
    /// Harmonic mean of the share of the model's lines found and of the found lines it expects.
    pub score: f64,
    pub confidence: f64,
}

/// Linear or logarithmic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GridKind {
    Linear { divisions: usize },
    Log { decades: usize, start_mantissa: u32 },
}

/// The horizontal grid lines inside the tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthLines {
    /// Rows from one line to the next: the mean of the gaps within 15 % of the median gap.
    pub spacing: f64,
    /// Share of the gaps within 15 % of `spacing` (or of a whole multiple of it).
    pub regularity: f64,
    /// Rows per column, of the whole scan (each line has its own, local, slope).
    pub slope: f64,
    /// The column at which `lines[].row` is given.
    pub at_column: f64,
    /// Every n-th line is medium or heavier.
    pub medium_every: Option<u32>,
    /// Every n-th line is heavy.
    pub heavy_every: Option<u32>,
    pub count: usize,
    /// Runs of lines at one spacing: the log section(s), top to bottom.
    pub sections: Vec<Section>,
    pub lines: Vec<DepthLine>,
}

/// A run of depth lines at one spacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Rows (at [`DepthLines::at_column`]) of its first and last line.
    pub rows: [f64; 2],
    /// Rows from one line to the next within it.
    pub spacing: f64,
    /// Lines in it.
    pub count: usize,
}

/// One depth line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthLine {
    /// Row at [`DepthLines::at_column`].
    pub row: f64,
    /// Rows per column where it is (the scan's local slope: a paper print turns as it goes
    /// through the scanner); elsewhere it is `row + slope * (column - at_column)`.
    pub slope: f64,
    pub weight: Weight,
    /// Ink per column (rows of full darkness).
    pub ink: f64,
}

/// A depth line's weight class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weight {
    Light,
    Medium,
    Heavy,
}

/// The columns between two tracks where the depth numbers are printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthColumn {
    /// The right edge of the track to its left.
    pub left: EdgeLine,
    /// The left edge of the track to its right.
    pub right: EdgeLine,
    /// Indices of those two tracks.
    pub between: [usize; 2],
    /// Share of the span that is ink (the numbers).
    pub ink: f64,
    /// 1 when it is the only gap between tracks or clearly the inkiest.
    pub confidence: f64,
}

/// Decodes a scan and finds its layout.
pub fn find_bytes(bytes: &[u8], limits: &Limits) -> Result<Layout> {
    find(&crate::decode::decode(bytes, limits)?)
}

/// Finds a print's layout. Errors only for an image with no pixels or inconsistent
/// dimensions ([`Error::BadInput`]); everything not found is [`Finding::Absent`].
pub fn find(img: &GrayImage) -> Result<Layout> {
    let (w, h) = (img.width as usize, img.height as usize);
    if w == 0 || h == 0 || img.data.len() != w * h {
        return Err(Error::bad_input(format!(
            "the image is {} x {} px with {} bytes of pixels; a scan needs rows and columns",
            img.width,
            img.height,
            img.data.len()
        )));
    }
    let ink = ink::measure(img);
    let slope_v = vertical_slope(&ink);
    let slope_h = horizontal_slope(&ink);
    let (frame, blocks) = drift::frame(&ink, slope_v.map_or(0.0, |s| s.slope));
    let lines = vertical::lines(&blocks, &frame);
    let mid_row = h as f64 / 2.0;
    let th = slope_h.map_or(0.0, |s| s.slope);
    let tilt = local_tilt(&ink, th);

    let mut layout = Layout {
        version: LAYOUT_VERSION,
        width: img.width,
        height: img.height,
        ink_threshold: ink.threshold,
        skew: skew_finding(slope_v, slope_h, lines.len()),
        tracks: Finding::Absent(String::new()),
        depth_lines: Finding::Absent(String::new()),
        depth_column: Finding::Absent(String::new()),
    };
    if lines.len() < 2 {
        let why = format!(
            "{} vertical line(s) dark along more than {:.0} % of the rows between columns 0 and {}; a track needs two \
             edges",
            lines.len(),
            tune::MIN_LINE_PRESENCE * 100.0,
            w
        );
        layout.tracks = Finding::Absent(why.clone());
        layout.depth_lines = Finding::Absent(format!("no track to look in: {why}"));
        layout.depth_column = Finding::Absent(format!("no tracks: {why}"));
        return Ok(layout);
    }
    let u_ref = (lines[0].u + lines[lines.len() - 1].u) / 2.0;
    let mut lines = lines;
    let mut intervals = tracks::intervals(img, ink.threshold, &frame, &tilt, u_ref, &lines);
    let (ruled, reference) = tracks::ruled(&intervals);
    let mut runs = tracks::split_shared_edges(&tracks::runs(&ruled), &lines);
    tracks::extend_outer_edges(
        img,
        ink.threshold,
        &frame,
        &tilt,
        u_ref,
        reference,
        &mut lines,
        &mut intervals,
        &mut runs,
    );
    if runs.is_empty() {
        let why = if reference == 0.0 {
            format!(
                "{} vertical lines were found, but no space between them is crossed by horizontal lines (rows at \
                 least {:.0} % dark), so none is inside a track",
                lines.len(),
                tune::RULED_FRAC * 100.0
            )
        } else {
            format!(
                "{} vertical lines were found, but no {} neighbouring spaces between them are crossed by depth lines",
                lines.len(),
                tune::MIN_TRACK_DIVISIONS
            )
        };
        layout.tracks = Finding::Absent(why.clone());
        layout.depth_lines = Finding::Absent(format!("no track to look in: {why}"));
        layout.depth_column = Finding::Absent(format!("no tracks: {why}"));
        return Ok(layout);
    }
    let n_blocks = blocks.len().max(1) as f64;
    let found_tracks: Vec<Track> = runs
        .iter()
        .map(|&(a, b)| {
            let us: Vec<f64> = lines[a..=b].iter().map(|l| l.u).collect();
            let both =
                lines[a].edge.points.iter().filter(|p| lines[b].edge.points.iter().any(|q| q[0] == p[0])).count();
            Track {
                left: lines[a].edge.clone(),
                right: lines[b].edge.clone(),
                lines: lines[a..=b].iter().map(|l| vertical::round2(l.u + frame.shift(mid_row))).collect(),
                presence: vertical::round2(both as f64 / n_blocks),
                grid: grid::classify(&us),
            }
        })
        .collect();
    // The depth lines are measured in the divisions between lines found (an inferred outer
    // division lies against a scan border).
    let inside: Vec<usize> = runs
        .iter()
        .flat_map(|&(a, b)| a..b)
        .filter(|&k| lines[k].edge.inferred.is_none() && lines[k + 1].edge.inferred.is_none())
        .collect();
    let at_column = vertical::round2(u_ref + frame.shift(mid_row));
    layout.depth_lines = depth_lines::find(&intervals, &inside, &frame, &tilt, u_ref, at_column);
    layout.depth_column = depth_column(&runs, &intervals, &lines);
    layout.tracks = Finding::Found(found_tracks);
    Ok(layout)
}

fn vertical_slope(ink: &ink::Ink) -> Option<skew::Slope> {
    let w = ink.width;
    let fine_vals: Vec<Vec<f32>> = (0..ink.bands)
        .map(|b| skew::high_pass(&ink.band_cols[b * w..(b + 1) * w].iter().map(|&c| f32::from(c)).collect::<Vec<_>>()))
        .collect();
    let fine: Vec<skew::Profile<'_>> = fine_vals
        .iter()
        .enumerate()
        .map(|(b, v)| skew::Profile { at: (b * BAND_ROWS) as f64 + BAND_ROWS as f64 / 2.0, values: v })
        .collect();
    let coarse_vals = summed_profiles(&fine_vals, 8, w, BAND_ROWS as f64);
    let coarse: Vec<skew::Profile<'_>> =
        coarse_vals.iter().map(|(at, v)| skew::Profile { at: *at, values: v }).collect();
    skew::find_slope(&coarse, &fine, w, ink.height as f64 / 2.0)
}

/// Profiles (each `len` values) summed `per` at a time, each with the position of its
/// middle: `unit` is one profile's extent (rows of a band, columns of a strip).
fn summed_profiles(fine: &[Vec<f32>], per: usize, len: usize, unit: f64) -> Vec<(f64, Vec<f32>)> {
    fine.chunks(per)
        .enumerate()
        .map(|(k, chunk)| {
            let mut sum = vec![0f32; len];
            for c in chunk {
                sum.iter_mut().zip(c).for_each(|(s, v)| *s += v);
            }
            (((k * per) as f64 + chunk.len() as f64 / 2.0) * unit, sum)
        })
        .collect()
}

fn horizontal_slope(ink: &ink::Ink) -> Option<skew::Slope> {
    rows_slope(ink, 0..ink.height)
}

/// The depth lines' slope over `rows`, from the column strips' row profiles (fine) and
/// their sums four strips at a time (coarse).
fn rows_slope(ink: &ink::Ink, rows: std::ops::Range<usize>) -> Option<skew::Slope> {
    let h = ink.height;
    let fine_vals: Vec<Vec<f32>> = (0..ink.strips)
        .map(|s| {
            skew::high_pass(
                &ink.strip_rows[s * h + rows.start..s * h + rows.end].iter().map(|&c| f32::from(c)).collect::<Vec<_>>(),
            )
        })
        .collect();
    let fine: Vec<skew::Profile<'_>> = fine_vals
        .iter()
        .enumerate()
        .map(|(s, v)| {
            let (x0, n) = ink.strip_span(s);
            skew::Profile { at: x0 as f64 + n as f64 / 2.0, values: v }
        })
        .collect();
    let coarse_vals = summed_profiles(&fine_vals, 4, rows.len(), STRIP_COLS as f64);
    let coarse: Vec<skew::Profile<'_>> =
        coarse_vals.iter().map(|(at, v)| skew::Profile { at: *at, values: v }).collect();
    skew::find_slope(&coarse, &fine, rows.len(), ink.width as f64 / 2.0)
}

/// The depth lines' slope block by block ([`skew::Tilt`]).
fn local_tilt(ink: &ink::Ink, global: f64) -> skew::Tilt {
    let h = ink.height;
    let mut blocks = Vec::new();
    let mut y0 = 0;
    while y0 < h {
        let y1 = (y0 + tune::TILT_ROWS).min(h);
        if y1 - y0 < tune::TILT_ROWS / 2 && !blocks.is_empty() {
            break;
        }
        let slope =
            rows_slope(ink, y0..y1).filter(|s| s.contrast >= tune::MIN_TILT_CONTRAST).map_or(global, |s| s.slope);
        blocks.push(((y0 + y1) as f64 / 2.0, slope));
        y0 = y1;
    }
    skew::Tilt { global, blocks }
}

/// Contrast above which a slope counts as measured (straight lines stood out).
const MIN_SKEW_CONTRAST: f64 = 0.05;

fn skew_finding(v: Option<skew::Slope>, h: Option<skew::Slope>, n_lines: usize) -> Finding<Skew> {
    let v = v.filter(|s| s.contrast >= MIN_SKEW_CONTRAST && n_lines > 0);
    let h = h.filter(|s| s.contrast >= MIN_SKEW_CONTRAST);
    let deg = |t: f64| vertical::round2(t.atan().to_degrees() * 100.0) / 100.0;
    let from_edges = v.map(|s| deg(s.slope));
    let from_depth_lines = h.map(|s| deg(-s.slope));
    let conf = |s: &skew::Slope| (s.contrast / (s.contrast + 0.5)).clamp(0.0, 1.0);
    match (v, h) {
        (Some(sv), _) => Finding::Found(Skew {
            degrees: deg(sv.slope),
            from_edges,
            from_depth_lines,
            confidence: vertical::round2(conf(&sv)),
        }),
        (None, Some(sh)) => Finding::Found(Skew {
            degrees: deg(-sh.slope),
            from_edges,
            from_depth_lines,
            confidence: vertical::round2(conf(&sh)),
        }),
        (None, None) => Finding::Absent(
            "no straight lines stand out at any angle within 1.5 degrees (neither vertical nor horizontal)".into(),
        ),
    }
}

fn depth_column(
    runs: &[(usize, usize)],
    intervals: &[tracks::Interval],
    lines: &[vertical::VLine],
) -> Finding<DepthColumn> {
    if runs.len() < 2 {
        return Finding::Absent(
            "one track only: no gap between two tracks for the depth numbers (a depth column at the scan's side is \
             not looked for)"
                .into(),
        );
    }
    let gaps: Vec<(usize, f64)> = runs
        .windows(2)
        .enumerate()
        .map(|(t, pair)| {
            let (a, b) = (pair[0].1, pair[1].0);
            let area: f64 = intervals[a..b].iter().map(|i| i.ink * i.width()).sum();
            let width: f64 = intervals[a..b].iter().map(tracks::Interval::width).sum();
            (t, if width > 0.0 { area / width } else { 0.0 })
        })
        .collect();
    let Some(&(t, ink)) = gaps.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return Finding::Absent("no gap between tracks".into());
    };
    if ink < 0.002 {
        return Finding::Absent(format!(
            "the gaps between tracks are blank (at most {:.2} % ink): no depth numbers between tracks",
            ink * 100.0
        ));
    }
    let second = gaps.iter().filter(|g| g.0 != t).map(|g| g.1).fold(0.0, f64::max);
    let confidence =
        if second <= 0.0 { 1.0 } else { (1.0 - second / ink).clamp(0.0, 1.0).max(0.5 * (ink / (ink + second))) };
    Finding::Found(DepthColumn {
        left: lines[runs[t].1].edge.clone(),
        right: lines[runs[t + 1].0].edge.clone(),
        between: [t, t + 1],
        ink: (ink * 10000.0).round() / 10000.0,
        confidence: vertical::round2(confidence),
    })
}

/// What a person types to go from a layout to a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectInput {
    /// Two or more depth ties `[row, depth]`.
    pub depth: Vec<[f64; 2]>,
    /// `M` or `FT`.
    #[serde(default)]
    pub depth_unit: Option<String>,
    pub curves: Vec<CurveInput>,
}

/// One curve: which track it is in and that track's scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveInput {
    /// Index into [`Layout::tracks`].
    pub track: usize,
    /// For a curve scaled across adjacent tracks (a sonic over tracks 2 and 3): the index of
    /// the last track its scale spans; its right edge is that track's. `None`: `track` alone.
    #[serde(default)]
    pub to_track: Option<usize>,
    /// Values at the track's left and right edges.
    pub scale: [f64; 2],
    pub mnemonic: String,
    #[serde(default)]
    pub unit: String,
    /// Log axis; `None` takes the track's grid kind.
    #[serde(default)]
    pub log: Option<bool>,
    #[serde(default)]
    pub seed: Option<[f64; 2]>,
}

/// The row at which [`to_project`] reads the tracks' edges: the middle of the depth ties
/// (the middle of the scan without them).
pub fn track_row(layout: &Layout, depth: &[[f64; 2]]) -> f64 {
    if depth.is_empty() {
        f64::from(layout.height) / 2.0
    } else {
        depth.iter().map(|d| d[0]).sum::<f64>() / depth.len() as f64
    }
}

/// A project from a layout and the values a person typed. Each curve's `track` is its
/// track's edges (through their measured points) at the middle row of the depth ties (a
/// project's track is upright).
///
/// Errors: [`Error::BadParameter`] when the layout has no tracks, a curve names a track
/// that is not there, or the project is not valid ([`Project::validate`]).
pub fn to_project(layout: &Layout, input: &ProjectInput) -> Result<Project> {
    let tracks = match &layout.tracks {
        Finding::Found(t) => t,
        Finding::Absent(why) => {
            return Err(Error::bad_parameter(format!(
                "the layout has no tracks ({why}); give the track edges by hand (--track X0:X1)"
            )))
        }
    };
    let row = track_row(layout, &input.depth);
    let curves = input
        .curves
        .iter()
        .map(|c| {
            let t = tracks.get(c.track).ok_or_else(|| {
                Error::bad_parameter(format!(
                    "curve {} names track {}, but the layout has {} track(s) (numbered from 0)",
                    c.mnemonic,
                    c.track,
                    tracks.len()
                ))
            })?;
            let last = match c.to_track {
                Some(k) if k < c.track || k >= tracks.len() => {
                    return Err(Error::bad_parameter(format!(
                        "curve {} spans tracks {} to {k}, but the layout has tracks 0 to {}; give the first and \
                         last track of its scale, left to right",
                        c.mnemonic,
                        c.track,
                        tracks.len() - 1
                    )))
                }
                Some(k) => &tracks[k],
                None => t,
            };
            let grid_log = matches!(t.grid.found().map(|g| g.kind), Some(GridKind::Log { .. }));
            Ok(ProjectCurve {
                mnemonic: c.mnemonic.clone(),
                unit: c.unit.clone(),
                track: [vertical::round2(t.left.x_along(row)), vertical::round2(last.right.x_along(row))],
                scale: c.scale,
                log: c.log.unwrap_or(grid_log),
                seed: c.seed,
                backup: Vec::new(),
                edited: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let project = Project {
        version: PROJECT_VERSION,
        depth: input.depth.clone(),
        depth_unit: input.depth_unit.clone(),
        step: None,
        interval: None,
        rotation: None,
        exclude: Vec::new(),
        well: Default::default(),
        curves,
    };
    project.validate()?;
    Ok(project)
}
