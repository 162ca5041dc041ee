//! Tracing one curve through the probability map.
//!
//! The tracer is a Viterbi path over rows whose states are the map's columns:
//!
//! * **Emission.** A row's cost at a column falls with the ink probability `p`:
//!   `clamp(ln(ink / p), 0, ln(ink / gap))`. Confident ink (`p >= ink`) costs nothing,
//!   so two curves drawn with different strengths are equally good to follow; paper
//!   (`p <= gap`) costs a constant, so the path crosses rows without ink at a fixed
//!   price and keeps its column. Rows whose chosen column has no ink are gaps (`None`).
//! * **Jumps.** Moving sideways costs `jump_paper` per column crossed over paper and
//!   `jump_ink` per column slid along ink (in this row or the one before). A curve
//!   that crosses 60 columns in two rows is drawn as continuous ink, so following it
//!   is cheap, while an isolated speckle far from the path is not worth the detour.
//!   With the track's ink, the scan's own long dark runs outside depth lines count
//!   as ink for these moves too (`straight::sideways_strokes`): the nearly
//!   horizontal stroke of a fast swing looks like a depth line to the model, which
//!   marks it faintly, and without it the path cuts straight down across the
//!   swing. Such a stroke is a cheap move only along itself: the paper around it
//!   stays far from ink (`jump_far`, below).
//!   For all pairs of columns this is a 1-D geodesic distance transform: two passes,
//!   `O(width)` per row.
//! * **Momentum.** Each state remembers the path that reached it; a least-squares
//!   line through its last `momentum_rows` sub-pixel positions predicts where the
//!   curve goes next. Where there is ink at the prediction that touches the path's
//!   own run in the row before (8-connected; any ink when the path comes off paper,
//!   a dash gap), the curve carries on there:
//!   moving anywhere on that ink run is free while the run is one curve's width,
//!   and any other move costs `momentum` per column of deviation beyond
//!   `momentum_slack` (`blob_slack` inside a wider run, where two curves merge),
//!   capped at `momentum_cap` columns. While the path moves freely along its run,
//!   it records the prediction (kept inside the run) as its position, so its
//!   direction survives rows where two curves overlap in one run. This keeps the
//!   path on its own curve at a crossing (a first-order penalty alone switches onto
//!   the more vertical curve), costs a clean curve nothing however it bends, and
//!   costs nothing where the curve turns sharply (a spike), because there the
//!   prediction lands on paper, or on a neighbour's ink that the curve does not
//!   touch. Exact for jumps up to `window` columns and for
//!   jumps landing near a prediction; other long jumps pay the cap.
//!
//! * **Style (with a seed).** Continuous ink costs nothing and a dash gap costs the
//!   paper price, so a plain Viterbi prefers a solid line to a dashed one running
//!   next to it. The map's ink is cut into components (8-connected runs, except
//!   that a run with two peaks is split at its valley, so two curves running side
//!   by side and touching stay apart), and each pixel gets its component's length:
//!   the larger of the rows and the columns it spans (a fast sideways stroke of a
//!   solid curve spans few rows but many columns). A seed on a component spanning
//!   few rows (a dash or a dot, also where the dashed curve sweeps sideways) makes
//!   ink of long components cost `style` per row; a seed on a long one makes ink
//!   of short components cost it. `style` stays under the paper price, so a curve whose
//!   own style changes (dashes merged with a solid line where they touch it) is
//!   still followed rather than left for paper.
//!
//! * **Identity (with a seed).** A track with a seed holds several curves, and a
//!   DP over the whole track weighs the seeded curve against each of them over
//!   its full length: a neighbour with fewer gaps (dashes beside dash-dots) is
//!   cheaper in the end by far more than any jump costs, and the path moves to
//!   it right after the seed. So a seeded trace looks ahead a window of rows
//!   (`LOOKAHEAD_ROWS`), keeps the first half, and starts the next window on the
//!   last kept row with the kept path's direction; and a sideways move over paper
//!   more than `far_cols` columns from any ink costs `jump_far` per column (a
//!   curve does not leap across blank paper).
//! * **Grid lines the model marked (with the track's ink).** Before tracing, ink
//!   that lies on a grid line drawn down the track and nowhere beside it, in long
//!   stretches that together hold a third of the track, is set to paper in a copy
//!   of the map (`marked_lines`): on a faded print, or below the end of a log, the
//!   model can mark a heavy grid line that the path would otherwise follow.
//! * **Grid lines are never curve (with the track's ink).** Then the map's ink on
//!   vertical grid lines (columns of the scan dark along most rows of a window
//!   around, depth lines left out) is set to paper too, in every row where the
//!   scan shows the line alone: no wider and no darker than the line, and no map
//!   ink reaching out of its band (`grid`). A heavy line on a paper print gets a
//!   steady probability that the path would ride straight down where the curve
//!   swings out and back (stuckey-1, bright-1). The seed's style is read from the
//!   model's own map: cut out of a grid line, a curve drawn along it would look
//!   dashed.
//! * **Straight stretches (with the track's ink).** Before tracing, straight
//!   near-vertical ink lines that continue the model's curve but that it left
//!   out (a constant stretch looks like grid to it) are marked in a copy of the
//!   map (`straight`).
//! * **Appearance (with a seed and the track's ink, [`trace_with_ink`]).** Two
//!   curves drawn with different pens look alike in the probability map but not
//!   in the scan: where they touch and bounce apart (a V, not an X) direction
//!   cannot tell them apart, their darkness can. A first trace from the seed
//!   gives the seeded curve's darkness (the median of the darkest ink next to
//!   the path, within 64 rows of the seed, where the path's run is one curve
//!   wide); a second trace adds `appearance` per row per unit of relative
//!   difference from it, beyond `appearance_tol`. On 1-bit scans every curve is
//!   equally dark and the term costs nothing.
//! * **Position in a row.** The path picks a column; the reported position is the
//!   probability-weighted centroid of the ink run around it, except in rows where
//!   the curve sweeps sideways (the run's edges move `sweep_cols` or more the same
//!   way from the row before to the row after): there the midpoint of the row
//!   before's leading edge and the row after's trailing edge, which cancels the
//!   pen (`sweep_positions`).
//! * **Dark bands (with the track's ink).** After tracing, a gap whose rows are
//!   mostly covered by a dark scan bar is interpolated across: the curve is
//!   hidden there, not missing (`occluded`).
//!
//! Time is `O(rows * width * (window + momentum_rows))` (twice that with a seed,
//! whose windows overlap by half, and twice again with a seed and ink), memory
//! one back-pointer byte per row and column (two when the map is wider than 256
//! columns), one byte per pixel for the scan's strokes when the track's ink is
//! given, plus `O(width * momentum_rows)` for the current row; with a seed, one
//! more byte per pixel (the extents), the union-find over the rows' ink runs, and
//! `width * LOOKAHEAD_ROWS` positions. With the `threads` feature (native entry points)
//! a seeded trace runs down and up from the seed on two threads: the same path, in
//! about half the time when the seed is mid-track (256 x 20,000 map: 1.05-1.09 s on
//! one thread, 0.52-0.75 s on two; `trace_debug bench`).
//!
//! Known limit: where the followed curve turns while it touches another one drawn
//! with the same pen (tangent, not crossing), the path may continue on the other
//! curve; so it may where a dashed or dotted curve the model barely sees runs
//! along a solid one (1-bit prints), and on jagged coarse prints whose curve
//! sweeps many columns within a row and crosses its neighbour at every swing.

use crate::error::{Error, Result};

mod confidence;
mod ends;
mod grid;
mod marked_lines;
mod occluded;
mod straight;
mod wrap;

pub use confidence::{stretches, uncertain_rows};
pub use wrap::{side_by_side, unwrap_column};

/// Curve-ink probability for a resized track, quantised to `u8` (0 = 0.0, 255 = 1.0),
/// row-major, `width` columns (the model width) by `height` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbMap {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// A point on the wanted curve, in probability-map coordinates: `col` in
/// `[0, width)`, `row` in `[0, height)`, pixel centres at integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seed {
    /// Column (pixel centres at integers).
    pub col: f32,
    /// Row (pixel centres at integers).
    pub row: f32,
}

/// Tuning of [`trace`]. The defaults suit the model's probability maps at the
/// model width ([`crate::MODEL_WIDTH`] columns).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceParams {
    /// Probability at and above which a pixel is confident ink (emission cost 0).
    pub ink: f32,
    /// Probability below which a pixel is paper: the emission's floor, and the
    /// threshold for a row to count as a gap. `0 < gap < ink <= 1`.
    pub gap: f32,
    /// Cost per column of a sideways move over paper.
    pub jump_paper: f32,
    /// Cost per column of a sideways move along ink.
    pub jump_ink: f32,
    /// With a seed: cost per column of a sideways move over paper more than
    /// `far_cols` columns from any ink (in this row or the one before), instead of
    /// `jump_paper`. A curve does not leap across blank paper, so a path that does
    /// has switched to another curve.
    pub jump_far: f32,
    /// See `jump_far`.
    pub far_cols: usize,
    /// Cost per column of deviation from the curve's recent direction, where the
    /// curve carries on in that direction.
    pub momentum: f32,
    /// Deviation, in columns, that costs nothing (quantisation and wobble).
    pub momentum_slack: f32,
    /// Largest deviation, in columns, that is charged.
    pub momentum_cap: f32,
    /// Deviation, in columns, that costs nothing inside a run wider than one
    /// curve (two curves merged at a crossing).
    pub blob_slack: f32,
    /// Rows of the path's history the direction is fitted to (1 to 32).
    pub momentum_rows: usize,
    /// Jumps up to this many columns are scored exactly (1 to 64); longer ones
    /// are exact when they land near a predicted position, and otherwise pay the
    /// momentum cap (an upper bound).
    pub window: usize,
    /// Largest distance, in pixels, from a seed to the curve ink it selects.
    pub seed_radius: f32,
    /// Fraction of rows that must hold the curve, else [`Error::NoCurve`].
    pub min_rows_fraction: f32,
    /// With a seed: cost per row of following ink drawn in another style than the
    /// seeded curve's (dashes or dots when the seed is on a solid line, a solid
    /// line when the seed is on a dash). Below the paper cost, so a curve whose
    /// style changes (a broken solid line) is still followed rather than left.
    pub style: f32,
    /// With a seed and the track's ink ([`trace_with_ink`]): cost per row per unit
    /// of relative difference between the ink's darkness under the path and the
    /// seeded curve's (learnt along a first trace near the seed), beyond
    /// `appearance_tol`. Two curves drawn with different pens stay apart.
    pub appearance: f32,
    /// Relative darkness difference that costs nothing.
    pub appearance_tol: f32,
    /// Sideways move, in columns, from which a row counts as a sweep: both edges
    /// of the curve's ink run move at least this far, the same way, from the row
    /// before to the row after. A sweep row's position is read from those
    /// neighbours' edges instead of its own run.
    pub sweep_cols: f32,
    /// With the track's ink ([`trace_with_ink`]): take the ink of vertical grid
    /// lines (columns of the scan dark along most rows around) out of the map,
    /// except where a curve crosses them (`trace/grid.rs`). A grid line is never
    /// a curve.
    pub ungrid: bool,
    /// With the track's ink ([`trace_with_ink`]): the fewest rows in which the map
    /// has ink on a grid line drawn down the track and nowhere beside it that make
    /// a stretch of that line; when such stretches hold a third of the track's
    /// rows, the model is marking the line itself and they are set to paper (0:
    /// never; `trace/marked_lines.rs`). A curve crossing a grid line lies on it for
    /// a few rows only.
    pub grid_rows: usize,
    /// Where the log ends (`trace/ends.rs`; 0: never): the shortest straight tail,
    /// in rows, taken out at either end of the path (where the path holds within
    /// a column or so of one place up to the end of the track while the rest of
    /// it moves, the model is marking a line), and the shortest break that cuts
    /// off a far island there (a note written past the end of an unbroken log).
    pub tail_rows: usize,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams {
            ink: 0.5,
            gap: 0.15,
            jump_paper: 0.4,
            jump_ink: 0.0,
            jump_far: 2.0,
            far_cols: 8,
            momentum: 2.0,
            momentum_slack: 0.4,
            momentum_cap: 4.0,
            blob_slack: 1.0,
            momentum_rows: 12,
            window: 2,
            seed_radius: 10.0,
            min_rows_fraction: 0.02,
            style: 0.9,
            appearance: 2.0,
            appearance_tol: 0.06,
            sweep_cols: 2.0,
            ungrid: true,
            grid_rows: 160,
            tail_rows: 160,
        }
    }
}

impl TraceParams {
    fn validate(&self) -> Result<()> {
        let finite_nonneg = |v: f32| v.is_finite() && v >= 0.0;
        let ok = self.gap > 0.0
            && self.gap < self.ink
            && self.ink <= 1.0
            && finite_nonneg(self.jump_paper)
            && finite_nonneg(self.jump_ink)
            && finite_nonneg(self.jump_far)
            && finite_nonneg(self.momentum)
            && finite_nonneg(self.momentum_slack)
            && finite_nonneg(self.momentum_cap)
            && finite_nonneg(self.blob_slack)
            && (1..=32).contains(&self.momentum_rows)
            && (1..=64).contains(&self.window)
            && finite_nonneg(self.seed_radius)
            && self.seed_radius <= 64.0
            && (0.0..=1.0).contains(&self.min_rows_fraction)
            && finite_nonneg(self.style)
            && finite_nonneg(self.appearance)
            && finite_nonneg(self.appearance_tol)
            && self.sweep_cols.is_finite()
            && self.sweep_cols >= 1.0;
        if ok {
            Ok(())
        } else {
            Err(Error::bad_parameter(format!(
                "trace parameters are out of range ({self:?}); need 0 < gap < ink <= 1, non-negative finite \
                 costs, sweep_cols >= 1, momentum_rows 1..=32, window 1..=64, seed_radius 0..=64; start from TraceParams::default()"
            )))
        }
    }
}

/// Traces one curve through `map`: for every map row, the sub-pixel column of the
/// curve (the probability-weighted centroid of the ink run around the chosen
/// column, or in a sweeping row the position read from its neighbours' runs;
/// pixel centres at integers), or `None` where the row has no curve ink. A line
/// the path held past the log's end, straight while the rest of the path moves,
/// and a few rows far past the end of an unbroken path are `None` too
/// ([`TraceParams::tail_rows`]).
///
/// With a `seed`, the path passes through the ink nearest the seed and is traced
/// outward from the seed's row, down and up; without one, it is the best path over
/// the whole map.
///
/// Errors: [`Error::BadParameter`] for a map whose data does not match its size,
/// out-of-range parameters, or a seed outside the map or with no ink within
/// `seed_radius` pixels; [`Error::NoCurve`] when the map has no ink, or under
/// `min_rows_fraction` of its rows hold the curve; [`Error::Limits`] for a map
/// wider than 65,536 columns or too large to address.
pub fn trace(map: &ProbMap, seed: Option<Seed>, params: &TraceParams) -> Result<Vec<Option<f32>>> {
    trace_with_ink(map, None, seed, params)
}

/// As [`trace`], with the track's ink as the model saw it (`preprocess::Track::data`:
/// `width * height` values, ink = 1.0): grid lines the model marked are taken out,
/// straight stretches it left out are marked, gaps under dark scan bars are interpolated, and with a seed the
/// path also prefers ink as dark as the seeded curve's ([`TraceParams::appearance`]).
pub fn trace_with_ink(
    map: &ProbMap,
    ink: Option<&[f32]>,
    seed: Option<Seed>,
    params: &TraceParams,
) -> Result<Vec<Option<f32>>> {
    params.validate()?;
    let (w, h) = (map.width, map.height);
    let cells = w.checked_mul(h).ok_or_else(|| {
        Error::limits(format!("probability map {w} x {h} is too large to address; split the scan along depth"))
    })?;
    if map.data.len() != cells {
        return Err(Error::bad_parameter(format!(
            "probability map is {w} x {h} but holds {} values (expected {cells}); build it with width * height values",
            map.data.len()
        )));
    }
    if w > 65_536 {
        return Err(Error::limits(format!(
            "probability map is {w} columns wide, over the tracer's 65,536; resize the track to the model width"
        )));
    }
    // The track's ink is used only when it matches the map.
    let ink = ink.filter(|i| i.len() == cells);
    let gap_u8 = quantise_ceil(params.gap);
    if cells == 0 || !map.data.iter().any(|&v| v >= gap_u8) {
        return Err(Error::no_curve(
            "no curve ink was found in the track; check that the track edges enclose the curve, that the curve \
             is in this track, and that the scan is not inverted (ink must be dark on light paper)",
        ));
    }
    // Grid lines the model marked, and straight stretches of the curve that it
    // left out, from the track's ink.
    let model_map = map;
    let unmarked = ink.and_then(|i| marked_lines::unmark_marked_lines(map, i, gap_u8, params.grid_rows));
    let map = unmarked.as_ref().unwrap_or(map);
    let before_grid = map;
    let ungridded = ink.and_then(|i| grid::unmark_grid(map, i, gap_u8, params.ungrid));
    let map = ungridded.as_ref().unwrap_or(map);
    let marked = ink.and_then(|i| straight::mark_straight(map, i, quantise_ceil(params.ink), gap_u8));
    let map = marked.as_ref().unwrap_or(map);
    let mut tracer = Tracer::new(map, params);
    tracer.strokes = ink.map(|i| straight::sideways_strokes(i, w));
    let mut seed_row = None;
    let cols: Vec<usize> = match seed {
        None => tracer.run(0, h, None),
        Some(s) => {
            let (r0, c0) = tracer.seed_pixel(s)?;
            seed_row = Some(r0);
            tracer.far = true;
            tracer.set_style(model_map, r0, c0);
            let both = |t: &Tracer| {
                let (down, mut cols) = down_and_up(t, r0, h, c0);
                cols.extend(down.into_iter().skip(1));
                cols
            };
            let cols = both(&tracer);
            match ink.filter(|_| params.appearance > 0.0) {
                Some(ink) if tracer.set_appearance(ink, &cols, r0) => both(&tracer),
                _ => cols,
            }
        }
    };
    let mut out = Vec::with_capacity(h);
    let mut runs = Vec::with_capacity(h);
    for (r, &c) in cols.iter().enumerate() {
        // A row the path crossed on a grid line's ink that `grid` took out: the
        // path found nothing better than the line, so the curve lies on it
        // (hidden, as under a dark bar) and is read from the line's ink.
        let row = if tracer.row(r).get(c).is_some_and(|&v| v < gap_u8) {
            &before_grid.data[r * w..(r + 1) * w]
        } else {
            tracer.row(r)
        };
        out.push(centroid(row, c, gap_u8));
        runs.push(run_at(row, c, gap_u8));
    }
    sweep_positions(&runs, &mut out, params.sweep_cols);
    // A line the path followed, or a note it took, past the log's end.
    ends::drop_straight_tails(&mut out, params.tail_rows, seed_row);
    ends::drop_far_islands(&mut out, w, params.tail_rows, seed_row);
    let found = out.iter().filter(|v| v.is_some()).count();
    if (found as f64) < f64::from(params.min_rows_fraction) * h as f64 || found == 0 {
        return Err(Error::no_curve(format!(
            "a curve was found in only {found} of {h} rows; check that the track edges enclose the curve, \
             that the curve is in this track, and that the scan is not inverted (ink must be dark on light paper)"
        )));
    }
    // Stretches hidden under a dark scan bar: the curve goes on under it.
    if let Some(ink) = ink {
        occluded::bridge(&mut out, &occluded::occluded_rows(ink, w));
    }
    Ok(out)
}

/// The seeded traces down from the seed row `r0` and up from it, which do not depend on
/// each other: on two threads with the `threads` feature, else one after the other.
fn down_and_up(t: &Tracer, r0: usize, h: usize, c0: usize) -> (Vec<usize>, Vec<usize>) {
    #[cfg(feature = "threads")]
    {
        std::thread::scope(|s| {
            let up = s.spawn(|| t.run_up(r0, c0));
            let down = t.run(r0, h, Some(c0));
            // A panic in the other thread is a bug; run it here instead of losing the trace.
            (down, up.join().unwrap_or_else(|_| t.run_up(r0, c0)))
        })
    }
    #[cfg(not(feature = "threads"))]
    {
        (t.run(r0, h, Some(c0)), t.run_up(r0, c0))
    }
}

/// Smallest `u8` level whose probability is at least `p`.
fn quantise_ceil(p: f32) -> u8 {
    (p * 255.0).ceil().clamp(0.0, 255.0) as u8
}

/// Back-pointers (predecessor columns), one per row step and column.
enum BackPointers {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl BackPointers {
    fn new(width: usize, steps: usize) -> Self {
        let n = width.saturating_mul(steps);
        if width <= 256 {
            BackPointers::U8(vec![0; n])
        } else {
            BackPointers::U16(vec![0; n])
        }
    }
    fn set(&mut self, i: usize, v: usize) {
        match self {
            BackPointers::U8(b) => {
                if let Some(x) = b.get_mut(i) {
                    *x = v as u8;
                }
            }
            BackPointers::U16(b) => {
                if let Some(x) = b.get_mut(i) {
                    *x = v as u16;
                }
            }
        }
    }
    fn get(&self, i: usize) -> usize {
        match self {
            BackPointers::U8(b) => b.get(i).map_or(0, |&v| usize::from(v)),
            BackPointers::U16(b) => b.get(i).map_or(0, |&v| usize::from(v)),
        }
    }
}

struct Tracer<'a> {
    map: &'a ProbMap,
    p: &'a TraceParams,
    gap_u8: u8,
    /// Emission cost per probability level.
    emission: [f32; 256],
    /// Runs up to this wide are one curve's cross-section (one more than the
    /// map's median run width); wider ones are taken for curves merged at a
    /// crossing.
    max_run: usize,
    /// With a seed: the row extent of each pixel's ink component (capped at 255,
    /// 0 on paper), and the style cost per extent.
    extent: Vec<u8>,
    style_cost: [f32; 256],
    /// With a seed: moves far over paper cost `jump_far` ([`TraceParams::jump_far`]).
    far: bool,
    /// With a seed and ink: the track's ink and the seeded curve's darkness.
    ink: Option<(&'a [f32], f32)>,
    /// With the track's ink: its sideways strokes ([`straight::sideways_strokes`]),
    /// along which a move costs `jump_ink` like a move along the map's ink.
    strokes: Option<Vec<bool>>,
}

/// Rows a seeded trace looks ahead before it decides where the curve goes
/// ([`Tracer::run_windowed`]).
const LOOKAHEAD_ROWS: usize = 128;
/// Rows of each look-ahead window that are kept (the rest are traced again from
/// the last kept row).
const COMMIT_ROWS: usize = 64;

/// Rows either side of the seed along which the seeded curve's darkness is learnt.
const APPEARANCE_ROWS: usize = 64;
/// Darkness tells the seeded curve apart only where it is steady along it: not
/// when its interquartile range near the seed exceeds this fraction of the
/// median (a 1-bit print resized to the model width, blotchy or broken ink).
const MAX_SPREAD: f32 = 0.15;

/// Components shorter than this (rows or columns spanned, the larger) are dashes
/// or dots (the golden prints' dashes span 5 to 15 map rows, dots 2 to 5).
const SHORT_EXTENT: u8 = 20;
/// Components longer than this (rows or columns spanned, the larger) are solid
/// lines (or dashes merged with one where they touch it). A seed is on a solid
/// line only when its component spans more rows than this: a shorter one is a
/// dash, or a few dashes joined where faint ink bridges their gaps.
const LONG_EXTENT: u8 = 48;

/// Scratch arrays for one row of the DP.
struct RowScratch {
    /// Sub-pixel position of each column (see `prepare`).
    cen: Vec<f32>,
    /// First and last column of the ink run holding each column (ink columns only).
    run_lo: Vec<usize>,
    run_hi: Vec<usize>,
    /// The same for the row before (`prev` in `prepare`).
    prev_lo: Vec<usize>,
    prev_hi: Vec<usize>,
    /// Step cost of entering each column sideways.
    step: Vec<f32>,
    /// Prefix sums of `step`: `prefix[k] = step[0] + .. + step[k-1]`.
    prefix: Vec<f32>,
    /// Columns to the nearest ink on the left (with a seed, see `prepare`).
    dist: Vec<usize>,
}

const INF: f32 = f32::INFINITY;

impl<'a> Tracer<'a> {
    fn new(map: &'a ProbMap, p: &'a TraceParams) -> Self {
        let mut emission = [0f32; 256];
        let floor = (p.ink / p.gap).ln();
        for (v, e) in emission.iter_mut().enumerate() {
            let prob = v as f32 / 255.0;
            *e = if prob >= p.ink {
                0.0
            } else if prob <= p.gap {
                floor
            } else {
                (p.ink / prob).ln().clamp(0.0, floor)
            };
        }
        let gap_u8 = quantise_ceil(p.gap);
        Tracer {
            map,
            p,
            gap_u8,
            emission,
            max_run: typical_run(map, gap_u8).saturating_add(1).max(3),
            extent: Vec::new(),
            style_cost: [0.0; 256],
            far: false,
            ink: None,
            strokes: None,
        }
    }

    /// Learns the seeded curve's style from its component at `(r0, c0)`: a dashed
    /// or dotted seed (a component spanning at most `LONG_EXTENT` rows) makes long
    /// components cost `style` per row, a solid seed makes short ones cost it. A
    /// seed component between the short and the long extents (dashes joined where
    /// faint ink bridges their gaps) counts as dashed: taken for solid, it would
    /// make the seeded curve's own dashes cost `style` and leave a solid neighbour
    /// free.
    /// The components are those of `map`, the model's own map: taking grid lines
    /// out cuts a curve drawn along one into pieces that would look like dashes.
    fn set_style(&mut self, map: &ProbMap, r0: usize, c0: usize) {
        if self.p.style <= 0.0 {
            return;
        }
        let (extent, seed_rows) = component_extents(map, self.gap_u8, MAX_SPLIT, (r0, c0));
        self.extent = extent;
        // By the rows the seed's component spans: a dash of a curve that sweeps
        // sideways spans many columns in few rows.
        let dashed = seed_rows <= LONG_EXTENT;
        for (x, c) in self.style_cost.iter_mut().enumerate() {
            let x = x as u8;
            *c = if x == 0 {
                0.0
            } else if dashed && x > LONG_EXTENT || !dashed && x < SHORT_EXTENT {
                self.p.style
            } else {
                0.0
            };
        }
    }

    /// Darkest ink among column `c` and its two neighbours in row `r`.
    fn darkness(ink: &[f32], w: usize, r: usize, c: usize) -> f32 {
        let row = ink.get(r * w..(r + 1) * w).unwrap_or(&[]);
        row.get(c.saturating_sub(1)..(c + 2).min(w)).unwrap_or(&[]).iter().copied().fold(0.0, f32::max)
    }

    /// Learns the seeded curve's darkness from the first path `cols`: the median
    /// darkness along it within `APPEARANCE_ROWS` rows of the seed row `r0`, over
    /// rows where it is on a single curve's run. False when too few rows qualify or
    /// the darkness is not steady enough to go by (`MAX_SPREAD`).
    fn set_appearance(&mut self, ink: &'a [f32], cols: &[usize], r0: usize) -> bool {
        let w = self.map.width;
        let lo = r0.saturating_sub(APPEARANCE_ROWS);
        let hi = (r0 + APPEARANCE_ROWS + 1).min(cols.len());
        let mut v: Vec<f32> = Vec::new();
        for (r, &c) in cols.iter().enumerate().take(hi).skip(lo) {
            let row = self.row(r);
            if row.get(c).is_none_or(|&x| x < self.gap_u8) {
                continue;
            }
            let (mut a, mut b) = (c, c);
            while a > 0 && row[a - 1] >= self.gap_u8 {
                a -= 1;
            }
            while b + 1 < w && row[b + 1] >= self.gap_u8 {
                b += 1;
            }
            if b - a < self.max_run {
                v.push(Self::darkness(ink, w, r, c));
            }
        }
        if v.len() < APPEARANCE_ROWS / 2 {
            return false;
        }
        v.sort_by(f32::total_cmp);
        let m = v[v.len() / 2];
        let spread = v[v.len() * 3 / 4] - v[v.len() / 4];
        if m <= 0.05 || spread > MAX_SPREAD * m {
            return false;
        }
        self.ink = Some((ink, m));
        true
    }

    /// Appearance cost of the path at `(r, c)` (0 without ink).
    fn appearance_at(&self, r: usize, c: usize) -> f32 {
        match self.ink {
            Some((ink, m)) if self.row(r).get(c).is_some_and(|&x| x >= self.gap_u8) => {
                let d = (Self::darkness(ink, self.map.width, r, c) - m).abs() / m;
                self.p.appearance * (d - self.p.appearance_tol).max(0.0)
            }
            _ => 0.0,
        }
    }

    fn style_at(&self, r: usize, c: usize) -> f32 {
        match self.extent.get(r * self.map.width + c) {
            Some(&e) => self.style_cost[usize::from(e)],
            None => 0.0,
        }
    }

    fn row(&self, r: usize) -> &[u8] {
        let w = self.map.width;
        self.map.data.get(r * w..(r + 1) * w).unwrap_or(&[])
    }

    /// The ink pixel nearest the seed within `seed_radius`, as `(row, col)`.
    fn seed_pixel(&self, s: Seed) -> Result<(usize, usize)> {
        let (w, h) = (self.map.width as f32, self.map.height as f32);
        if !(s.col.is_finite() && s.row.is_finite())
            || s.col < -0.5
            || s.row < -0.5
            || s.col >= w - 0.5
            || s.row >= h - 0.5
        {
            return Err(Error::bad_parameter(format!(
                "seed ({}, {}) lies outside the track ({} x {} map pixels); click on the wanted curve inside the track",
                s.col, s.row, self.map.width, self.map.height
            )));
        }
        let rad = self.p.seed_radius;
        let ri = rad.ceil() as i64;
        let (sc, sr) = (s.col.round() as i64, s.row.round() as i64);
        let mut best: Option<(f32, u8, usize, usize)> = None;
        for r in (sr - ri).max(0)..=(sr + ri).min(self.map.height as i64 - 1) {
            let row = self.row(r as usize);
            for c in (sc - ri).max(0)..=(sc + ri).min(self.map.width as i64 - 1) {
                let v = row.get(c as usize).copied().unwrap_or(0);
                if v < self.gap_u8 {
                    continue;
                }
                let d = ((c as f32 - s.col).powi(2) + (r as f32 - s.row).powi(2)).sqrt();
                if d > rad {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bd, bv, _, _)) => d < bd || (d == bd && v > bv),
                };
                if better {
                    best = Some((d, v, r as usize, c as usize));
                }
            }
        }
        best.map(|(_, _, r, c)| (r, c)).ok_or_else(|| {
            Error::bad_parameter(format!(
                "the seed ({}, {}) is not on a curve: there is no curve ink within {} px of it; \
                 click on the curve's ink (zoom in to place it)",
                s.col, s.row, self.p.seed_radius
            ))
        })
    }

    /// Fills the scratch for the step into row `r` from row `prev`.
    fn prepare(&self, r: usize, prev: usize, s: &mut RowScratch) {
        let row = self.row(r);
        let prow = self.row(prev);
        let w = self.map.width;
        // Local sub-pixel positions: the centroid of the ink among the column and
        // its two neighbours. Sub-pixel on a thin line; the column itself inside a
        // wide blob (two curves merged at a crossing), so the path's direction
        // there comes from its momentum rather than from the blob's centre.
        for (k, c) in s.cen.iter_mut().enumerate() {
            *c = k as f32;
            if row.get(k).copied().unwrap_or(0) < self.gap_u8 {
                continue;
            }
            let (mut sum, mut wsum) = (0f32, 0f32);
            for m in k.saturating_sub(1)..=(k + 1).min(w - 1) {
                let v = row.get(m).copied().unwrap_or(0);
                if v >= self.gap_u8 {
                    sum += f32::from(v);
                    wsum += f32::from(v) * m as f32;
                }
            }
            if sum > 0.0 {
                *c = wsum / sum;
            }
        }
        // Ink runs, in this row and the one before.
        ink_runs(row, self.gap_u8, &mut s.run_lo, &mut s.run_hi);
        ink_runs(prow, self.gap_u8, &mut s.prev_lo, &mut s.prev_hi);
        // Sideways step costs and their prefix sums.
        let mut acc = 0f32;
        if let Some(p0) = s.prefix.first_mut() {
            *p0 = 0.0;
        }
        let stroke = |row: usize, k: usize| {
            self.strokes.as_ref().is_some_and(|st| st.get(row * w + k).copied().unwrap_or(false))
        };
        let inked = |k: usize| row.get(k).copied().unwrap_or(0).max(prow.get(k).copied().unwrap_or(0)) >= self.gap_u8;
        let on_stroke = |k: usize| stroke(r, k) || stroke(prev, k);
        for k in 0..w {
            let cost = if inked(k) || on_stroke(k) { self.p.jump_ink } else { self.p.jump_paper };
            if let Some(st) = s.step.get_mut(k) {
                *st = cost;
            }
        }
        if self.far {
            // Paper beyond far_cols of any of the map's ink: distance to the nearest
            // ink column, left to right then right to left. A scan stroke stays a
            // cheap move, but does not make the paper around it near: a curve does
            // not leap across blank paper onto a stroke of something else.
            let far = self.p.far_cols;
            let mut since = usize::MAX;
            for (k, dk) in s.dist.iter_mut().enumerate() {
                since = if inked(k) { 0 } else { since.saturating_add(1) };
                *dk = since;
            }
            since = usize::MAX;
            for k in (0..w).rev() {
                since = if inked(k) { 0 } else { since.saturating_add(1) };
                if s.dist[k].min(since) > far && !on_stroke(k) {
                    s.step[k] = self.p.jump_far;
                }
            }
        }
        for k in 0..w {
            acc += s.step[k];
            if let Some(pk) = s.prefix.get_mut(k + 1) {
                *pk = acc;
            }
        }
    }

    /// Traces rows `start, start+1, .., end-1` (downward). Returns the column per row.
    fn run(&self, start: usize, end: usize, seed_col: Option<usize>) -> Vec<usize> {
        let order: Vec<usize> = (start..end).collect();
        match seed_col {
            Some(c) => self.run_windowed(&order, c),
            None => self.run_rows(&order, None, &[], None),
        }
    }

    /// Traces rows `start, start-1, .., 0` (upward) from the seed column and returns
    /// them top to bottom.
    fn run_up(&self, start: usize, seed_col: usize) -> Vec<usize> {
        let order: Vec<usize> = (0..=start).rev().collect();
        let mut cols = self.run_windowed(&order, seed_col);
        cols.reverse();
        cols
    }

    /// The DP from a seed over `order`, a window of [`LOOKAHEAD_ROWS`] rows at a
    /// time, of which the first [`COMMIT_ROWS`] are kept before the next window
    /// starts where they end (with the kept path's recent positions as its
    /// direction). A whole-track DP weighs the seeded curve against every other
    /// over the full length, so a neighbour that is merely denser (dashes against
    /// dash-dots) wins in the end and the path jumps to it right after the seed;
    /// within a window, the gain from switching never pays the jump.
    fn run_windowed(&self, order: &[usize], seed_col: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::with_capacity(order.len());
        let mut at = 0;
        let mut col = seed_col;
        let k_max = self.p.momentum_rows.max(2) - 1;
        // Sub-pixel positions the kept path recorded, most recent last.
        let mut kept_pos: Vec<f32> = Vec::with_capacity(order.len());
        let mut pos = Vec::new();
        loop {
            let end = (at + LOOKAHEAD_ROWS).min(order.len());
            // The kept path's positions in the start row and k_max rows back, most
            // recent first.
            let history: Vec<f32> = kept_pos.iter().rev().take(k_max + 1).copied().collect();
            let cols = self.run_rows(&order[at..end], Some(col), &history, Some(&mut pos));
            if end == order.len() {
                out.extend_from_slice(&cols);
                return out;
            }
            // Keep COMMIT_ROWS rows; the next window starts on the last one kept.
            out.extend_from_slice(&cols[..COMMIT_ROWS]);
            kept_pos.truncate(at);
            kept_pos.extend_from_slice(&pos[..=COMMIT_ROWS]);
            at += COMMIT_ROWS;
            col = cols[COMMIT_ROWS];
        }
    }

    /// `history`: with a seed column, the sub-pixel positions of the path through
    /// it, in its row and 1, 2, .. rows back (empty at the seed itself). `positions`, when
    /// given, receives the sub-pixel position the returned path recorded in each
    /// row (its direction's history; `width * rows` floats are kept for it).
    fn run_rows(
        &self,
        order: &[usize],
        seed_col: Option<usize>,
        history: &[f32],
        positions: Option<&mut Vec<f32>>,
    ) -> Vec<usize> {
        let w = self.map.width;
        let n = order.len();
        if n == 0 || w == 0 {
            return Vec::new();
        }
        let p = self.p;
        // Ancestors kept per state: positions 1 ..= momentum_rows - 1 rows back.
        let k_max = p.momentum_rows.max(2) - 1;
        let win = p.window.min(w.saturating_sub(1));
        // Columns around a prediction that can cost less than the cap.
        let reach = (p.momentum_slack + p.momentum_cap).ceil() as i64 + 1;
        let mut bp = BackPointers::new(w, n - 1);

        let mut d = vec![INF; w];
        let first = self.row(order[0]);
        match seed_col {
            Some(c) => {
                if let Some(x) = d.get_mut(c) {
                    *x = 0.0;
                }
            }
            None => {
                for (x, &v) in d.iter_mut().zip(first) {
                    *x = self.emission[usize::from(v)];
                }
            }
        }
        let mut s = RowScratch {
            cen: vec![0.0; w],
            run_lo: vec![0; w],
            run_hi: vec![0; w],
            prev_lo: vec![0; w],
            prev_hi: vec![0; w],
            step: vec![0.0; w],
            prefix: vec![0.0; w + 1],
            dist: vec![0; w],
        };
        // Sub-pixel positions of each state's ancestors: hist[j * k_max + m] is the
        // position m+1 rows back of the path ending in state j; `hlen` are valid.
        // `cur_pos` is each state's own sub-pixel position.
        let mut cur_pos: Vec<f32> = vec![0.0; w];
        {
            // Centroids of the first row (prepare computes them for `r`).
            self.prepare(order[0], order[0], &mut s);
            cur_pos.copy_from_slice(&s.cen);
        }
        let mut next_pos: Vec<f32> = vec![0.0; w];
        let mut all_pos: Vec<f32> = Vec::new();
        if positions.is_some() {
            all_pos.reserve(n * w);
            all_pos.extend_from_slice(&cur_pos);
        }
        let weights = prediction_weights(k_max + 1);
        let mut hist = vec![0f32; w * k_max];
        let mut new_hist = vec![0f32; w * k_max];
        let mut hlen = 0usize;
        if let (Some(c), Some((&own, back))) = (seed_col.filter(|&c| c < w), history.split_first()) {
            cur_pos[c] = own;
            hlen = back.len().min(k_max);
            hist[c * k_max..c * k_max + hlen].copy_from_slice(&back[..hlen]);
        }

        let mut pred = vec![0f32; w];
        let mut carries = vec![false; w];
        let mut free = vec![(1usize, 0usize); w];
        let mut blob = vec![(1usize, 0usize); w];
        let mut nd = vec![INF; w];
        let mut choice = vec![0usize; w];
        let mut fwd_v = vec![INF; w];
        let mut fwd_j = vec![0usize; w];

        for step_i in 1..n {
            let r = order[step_i];
            let prev = order[step_i - 1];
            self.prepare(r, prev, &mut s);
            let row = self.row(r);
            let prow = self.row(prev);
            // Direction of each state's path, and whether the curve carries on there.
            for j in 0..w {
                let here = cur_pos[j];
                if hlen == 0 || d[j] == INF {
                    pred[j] = here;
                    carries[j] = false;
                    continue;
                }
                // Least-squares fit through the path's last positions, extrapolated
                // one row ahead (fixed weights per history length).
                let hs = &hist[j * k_max..j * k_max + hlen];
                let wts = &weights[hlen];
                let mut q = wts.first().copied().unwrap_or(1.0) * here;
                for (&y, &wt) in hs.iter().zip(wts.iter().skip(1)) {
                    q += wt * y;
                }
                let slope = q - here;
                pred[j] = q;
                let qi = q.round();
                // Ink at (or next to) the prediction: the curve carries on there.
                let hit = if qi < -1.0 || qi > w as f32 {
                    None
                } else {
                    let qi = qi as i64;
                    [qi, qi - 1, qi + 1]
                        .into_iter()
                        .filter(|&c| c >= 0 && c < w as i64)
                        .map(|c| c as usize)
                        .find(|&c| row.get(c).is_some_and(|&x| x >= self.gap_u8))
                };
                // The curve carries on only onto ink that touches the path's own run
                // in the row before (8-connected): ink at the prediction that is
                // not joined to it belongs to another curve (the followed one has
                // turned sharply, a spike, and the line through its last positions
                // lands on a neighbour). From paper (a dash gap) any ink counts.
                let prow_ink = prow.get(j).is_some_and(|&x| x >= self.gap_u8);
                let hit =
                    hit.filter(|&c| !prow_ink || (s.run_lo[c] <= s.prev_hi[j] + 1 && s.prev_lo[j] <= s.run_hi[c] + 1));
                carries[j] = hit.is_some();
                // Staying anywhere on that run is free when the run is one curve's
                // cross-section (a line's width, plus its slope); in a wider blob
                // (merged curves) the path must keep its direction.
                let widest = self.max_run as f32 + slope.abs();
                free[j] = (1, 0);
                blob[j] = (1, 0);
                if let Some(c) = hit {
                    if ((s.run_hi[c] - s.run_lo[c]) as f32) < widest {
                        free[j] = (s.run_lo[c], s.run_hi[c]);
                    } else {
                        blob[j] = (s.run_lo[c], s.run_hi[c]);
                    }
                }
            }
            let cap = p.momentum * p.momentum_cap;
            // Far jumps: geodesic distance transform over D + capped momentum.
            for j in 0..w {
                fwd_v[j] = d[j] + if carries[j] { cap } else { 0.0 };
                fwd_j[j] = j;
            }
            for i in 1..w {
                let c = fwd_v[i - 1] + s.step[i];
                if c < fwd_v[i] {
                    fwd_v[i] = c;
                    fwd_j[i] = fwd_j[i - 1];
                }
            }
            for i in (0..w.saturating_sub(1)).rev() {
                let c = fwd_v[i + 1] + s.step[i];
                if c < fwd_v[i] {
                    fwd_v[i] = c;
                    fwd_j[i] = fwd_j[i + 1];
                }
            }
            // Exact cost of the move j -> i (sideways path plus momentum).
            let cost = |j: usize, i: usize| -> f32 {
                let geo = if i > j {
                    s.prefix[i + 1] - s.prefix[j + 1]
                } else if i < j {
                    s.prefix[j] - s.prefix[i]
                } else {
                    0.0
                };
                let mom = if carries[j] && !(free[j].0..=free[j].1).contains(&i) {
                    let slack = if (blob[j].0..=blob[j].1).contains(&i) { p.blob_slack } else { p.momentum_slack };
                    p.momentum * ((s.cen[i] - pred[j]).abs() - slack).clamp(0.0, p.momentum_cap)
                } else {
                    0.0
                };
                d[j] + geo + mom
            };
            // Near jumps, exact. Nearest predecessors first, so ties keep the column.
            for i in 0..w {
                let mut best = INF;
                let mut bj = i;
                for off in 0..=win {
                    for j in [i.checked_sub(off), if off == 0 { None } else { i.checked_add(off) }] {
                        let Some(j) = j.filter(|&j| j < w && d[j] < INF) else { continue };
                        let c = cost(j, i);
                        if c < best {
                            best = c;
                            bj = j;
                        }
                    }
                }
                nd[i] = best;
                choice[i] = bj;
            }
            // Jumps that land where a predecessor's curve is heading, exact, however far.
            for j in 0..w {
                if !carries[j] || d[j] == INF {
                    continue;
                }
                let q = pred[j].round() as i64;
                for i in (q - reach).max(0)..=(q + reach).min(w as i64 - 1) {
                    let i = i as usize;
                    let c = cost(j, i);
                    if c < nd[i] {
                        nd[i] = c;
                        choice[i] = j;
                    }
                }
            }
            // Any other jump pays the momentum cap (an upper bound of its exact cost).
            for i in 0..w {
                if fwd_v[i] < nd[i] {
                    nd[i] = fwd_v[i];
                    choice[i] = fwd_j[i];
                }
                nd[i] += self.emission[usize::from(row.get(i).copied().unwrap_or(0))]
                    + self.style_at(r, i)
                    + self.appearance_at(r, i);
            }
            // Renormalise, record back-pointers, update ancestor positions.
            let m = nd.iter().copied().fold(INF, f32::min);
            let m = if m.is_finite() { m } else { 0.0 };
            let base = (step_i - 1) * w;
            let new_len = (hlen + 1).min(k_max);
            for i in 0..w {
                d[i] = nd[i] - m;
                let j = choice[i];
                bp.set(base + i, j);
                new_hist[i * k_max] = cur_pos[j];
                // A free move along the run the path was heading for records the
                // prediction (kept inside the run), so the path's direction carries
                // through stretches where two curves overlap in one run.
                let (lo, hi) = free[j];
                next_pos[i] =
                    if carries[j] && lo <= i && i <= hi { pred[j].clamp(lo as f32, hi as f32) } else { s.cen[i] };
                for mm in 1..new_len {
                    new_hist[i * k_max + mm] = hist[j * k_max + mm - 1];
                }
            }
            std::mem::swap(&mut hist, &mut new_hist);
            hlen = new_len;
            std::mem::swap(&mut cur_pos, &mut next_pos);
            if positions.is_some() {
                all_pos.extend_from_slice(&cur_pos);
            }
        }
        // Backtrack from the best final state.
        let mut c = 0;
        let mut bestv = INF;
        for (i, &v) in d.iter().enumerate() {
            if v < bestv {
                bestv = v;
                c = i;
            }
        }
        let mut cols = vec![0usize; n];
        for step_i in (0..n).rev() {
            cols[step_i] = c;
            if step_i > 0 {
                c = bp.get((step_i - 1) * w + c).min(w - 1);
            }
        }
        if let Some(out) = positions {
            out.clear();
            out.extend(cols.iter().enumerate().map(|(i, &c)| all_pos.get(i * w + c).copied().unwrap_or(c as f32)));
        }
        cols
    }
}

/// First and last column of the ink run (`>= gap`) holding each column of `row`
/// (paper columns: the column itself).
fn ink_runs(row: &[u8], gap: u8, lo: &mut [usize], hi: &mut [usize]) {
    let w = row.len().min(lo.len()).min(hi.len());
    let mut k = 0;
    while k < w {
        let start = k;
        while k < w && row[k] >= gap {
            k += 1;
        }
        for m in start..k {
            lo[m] = start;
            hi[m] = k - 1;
        }
        if k == start {
            lo[k] = k;
            hi[k] = k;
            k += 1;
        }
    }
}

/// `weights[h]`: weights of the positions 0, 1, .., h rows back whose weighted sum
/// predicts the next position: the least-squares line through them, evaluated one
/// row ahead. (A parabola was tried: its extrapolation is too noisy.)
fn prediction_weights(max_points: usize) -> Vec<Vec<f32>> {
    (1..=max_points)
        .map(|n| {
            if n == 1 {
                return vec![1.0];
            }
            let nf = n as f64;
            let tbar = -(nf - 1.0) / 2.0;
            let stt: f64 = (0..n).map(|i| (-(i as f64) - tbar).powi(2)).sum();
            (0..n).map(|i| (1.0 / nf + (1.0 - tbar) * (-(i as f64) - tbar) / stt) as f32).collect()
        })
        .collect()
}

/// Length of the ink component holding each pixel: the larger of the rows and the
/// columns it spans, capped at 255; 0 on paper. With it, the rows spanned by the
/// component holding `seed` (row, column; 0 when that pixel is paper).
/// Components are 8-connected runs of ink, except that a run with two peaks (a
/// valley between them under `VALLEY` of the lower peak) is split there and its
/// halves connect to the rows above and below only where they overlap: two curves
/// running side by side, touching, stay apart. Union-find over the pieces of the
/// rows' runs.
fn component_extents(map: &ProbMap, gap: u8, max_split: usize, seed: (usize, usize)) -> (Vec<u8>, u8) {
    let (w, h) = (map.width, map.height);
    // Pieces as (row, first, last column, flags): bit 0 = split on the left,
    // bit 1 = split on the right, bit 2 = a valley's lowest pixel. row_start[r] = index of row r's first piece.
    let mut runs: Vec<(u32, u32, u32, u8)> = Vec::new();
    let mut row_start = Vec::with_capacity(h + 1);
    for (r, row) in map.data.chunks(w.max(1)).enumerate().take(h) {
        row_start.push(runs.len());
        let mut k = 0;
        while k < row.len() {
            if row[k] >= gap {
                let s = k;
                while k < row.len() && row[k] >= gap {
                    k += 1;
                }
                // Pieces between valleys; a valley's lowest pixel joins the piece on
                // its left for the extents but connects to no other row, so a curve
                // touching another one's flank across a valley stays apart.
                let mut lo = s;
                let mut flags = 0u8;
                let cuts = if k - s <= max_split { valleys(&row[s..k]) } else { Vec::new() };
                for cut in cuts {
                    let v = s + cut - 1;
                    if v > lo {
                        runs.push((r as u32, lo as u32, (v - 1) as u32, flags | 2));
                    }
                    runs.push((r as u32, v as u32, v as u32, 4));
                    lo = s + cut;
                    flags = 1;
                }
                runs.push((r as u32, lo as u32, (k - 1) as u32, flags));
            } else {
                k += 1;
            }
        }
    }
    row_start.resize(h + 1, runs.len());
    let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for r in 1..h {
        let (a0, a1, b1) = (row_start[r - 1], row_start[r], row_start[r + 1]);
        let mut i = a0;
        for j in a1..b1 {
            let (_, lo, hi, fj) = runs[j];
            while i < a1 && runs[i].2 + 1 < lo {
                i += 1;
            }
            let mut k = i;
            while k < a1 && runs[k].1 <= hi + 1 {
                let (_, klo, khi, fk) = runs[k];
                if (fk | fj) & 4 != 0 {
                    k += 1;
                    continue;
                }
                // Diagonal contact counts only between true run ends.
                let left_ok = klo <= hi || (fk & 1 == 0 && fj & 2 == 0);
                let right_ok = lo <= khi || (fj & 1 == 0 && fk & 2 == 0);
                if left_ok && right_ok {
                    let (x, y) = (find(&mut parent, k as u32), find(&mut parent, j as u32));
                    if x != y {
                        parent[x.max(y) as usize] = x.min(y);
                    }
                }
                k += 1;
            }
        }
    }
    // Rows and columns each component spans.
    let mut first = vec![u32::MAX; runs.len()];
    let mut last = vec![0u32; runs.len()];
    let mut left = vec![u32::MAX; runs.len()];
    let mut right = vec![0u32; runs.len()];
    for (j, run) in runs.iter().enumerate() {
        let root = find(&mut parent, j as u32) as usize;
        first[root] = first[root].min(run.0);
        last[root] = last[root].max(run.0);
        left[root] = left[root].min(run.1);
        right[root] = right[root].max(run.2);
    }
    // Per piece: its component's length and the rows it spans.
    let (ext, span_rows): (Vec<u8>, Vec<u8>) = (0..runs.len())
        .map(|j| {
            let root = find(&mut parent, j as u32) as usize;
            let (rows, cols) = (last[root] - first[root] + 1, right[root] - left[root] + 1);
            (rows.max(cols).min(255) as u8, rows.min(255) as u8)
        })
        .unzip();
    // A piece's value; a valley pixel takes the larger of its two sides'.
    let value = |vals: &[u8], j: usize| {
        let (r, _, _, flags) = runs[j];
        if flags & 4 != 0 {
            let side =
                |i: Option<usize>| i.and_then(|i| runs.get(i).filter(|p| p.0 == r).map(|_| vals[i])).unwrap_or(0);
            side(j.checked_sub(1)).max(side(Some(j + 1))).max(1)
        } else {
            vals[j]
        }
    };
    let seed_rows = row_start
        .get(seed.0..seed.0 + 2)
        .and_then(|b| (b[0]..b[1]).find(|&j| runs[j].1 as usize <= seed.1 && seed.1 <= runs[j].2 as usize))
        .map_or(0, |j| value(&span_rows, j));
    let mut out = vec![0u8; w * h];
    for (j, &(r, lo, hi, _)) in runs.iter().enumerate() {
        let e = value(&ext, j);
        let base = r as usize * w;
        for x in out[base + lo as usize..=base + hi as usize].iter_mut() {
            *x = e;
        }
    }
    (out, seed_rows)
}

/// Runs up to this many columns wide (a few curves side by side) may be split at
/// valleys; wider ones are fast strokes, whose dips are noise.
const MAX_SPLIT: usize = 12;

/// A valley splits a run where it falls under this fraction of the lower of the
/// peaks on either side.
const VALLEY: f32 = 0.9;

/// Offsets into `run` (one ink run) where it splits into pieces, one per peak:
/// each cut is the first column of the next piece, at the valley's minimum.
fn valleys(run: &[u8]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let Some(&first) = run.first() else { return cuts };
    // Highest value since the last cut, and the lowest value (and where) since it.
    let (mut peak, mut low, mut low_at) = (first, first, 0usize);
    for (k, &v) in run.iter().enumerate().skip(1) {
        if v >= peak {
            if f32::from(low) < VALLEY * f32::from(peak) {
                cuts.push(low_at + 1);
            }
            peak = v;
            low = v;
            low_at = k;
        } else if v < low {
            low = v;
            low_at = k;
        } else if v > low && f32::from(low) < VALLEY * f32::from(v) {
            // Rising out of a valley deep enough for both sides.
            cuts.push(low_at + 1);
            peak = v;
            low = v;
            low_at = k;
        }
    }
    cuts
}

/// Median width of the map's ink runs (rows cut into runs of pixels `>= gap`).
fn typical_run(map: &ProbMap, gap: u8) -> usize {
    let mut hist = [0u64; 65];
    for row in map.data.chunks(map.width.max(1)) {
        let mut len = 0usize;
        for &v in row.iter().chain(std::iter::once(&0)) {
            if v >= gap {
                len += 1;
            } else if len > 0 {
                if let Some(h) = hist.get_mut(len.min(64)) {
                    *h += 1;
                }
                len = 0;
            }
        }
    }
    let total: u64 = hist.iter().sum();
    let mut seen = 0;
    for (width, &n) in hist.iter().enumerate() {
        seen += n;
        if seen * 2 >= total && n > 0 {
            return width;
        }
    }
    1
}

/// The run of ink (pixels at or above `gap`) through column `c` of `row`, or
/// through a neighbour of `c` when `c` itself is paper: first and last column.
fn run_at(row: &[u8], c: usize, gap: u8) -> Option<(usize, usize)> {
    let w = row.len();
    let c = [c, c.wrapping_sub(1), c + 1].into_iter().find(|&k| k < w && row[k] >= gap)?;
    let lo = row[..c].iter().rposition(|&v| v < gap).map_or(0, |k| k + 1);
    let hi = row[c..].iter().position(|&v| v < gap).map_or(w - 1, |k| c + k - 1);
    Some((lo, hi))
}

/// Positions in rows where the curve sweeps sideways. There a row's ink run is
/// the stroke from where the curve enters the row to where it leaves it,
/// widened by the pen and, near a turn, by the stroke coming back, so its
/// centroid sits off the curve's position at the row centre. The neighbours'
/// runs give that position without the pen: moving right, the row before ends
/// where the curve enters this row (plus the pen's half-width) and the row
/// after begins where it leaves it (minus the same), so the midpoint of those
/// two edges is the curve at this row's centre; moving left, mirrored. A row
/// counts as a sweep when the three runs chain (each overlaps the next) and
/// both edges move at least `min_shift` columns the same way from the row
/// before to the row after; the position must fall inside the row's own run.
fn sweep_positions(runs: &[Option<(usize, usize)>], out: &mut [Option<f32>], min_shift: f32) {
    let overlap = |a: (usize, usize), b: (usize, usize)| a.0.max(b.0) <= a.1.min(b.1);
    for r in 1..runs.len().saturating_sub(1) {
        let (Some(a), Some(b), Some(c)) = (runs[r - 1], runs[r], runs[r + 1]) else { continue };
        if out[r].is_none() || !overlap(a, b) || !overlap(b, c) {
            continue;
        }
        let (dl, dr) = (c.0 as f32 - a.0 as f32, c.1 as f32 - a.1 as f32);
        let x = if dl >= min_shift && dr >= min_shift {
            (c.0 + a.1) as f32 / 2.0
        } else if dl <= -min_shift && dr <= -min_shift {
            (c.1 + a.0) as f32 / 2.0
        } else {
            continue;
        };
        if (b.0 as f32..=b.1 as f32).contains(&x) {
            out[r] = Some(x);
        }
    }
}

/// Sub-pixel column of the ink around column `c` of `row`: the probability-weighted
/// centroid of the run around the nearest local peak, stopping at valleys (so a
/// neighbouring curve is not averaged in). `None` when no pixel within one column
/// reaches the gap level.
fn centroid(row: &[u8], c: usize, gap: u8) -> Option<f32> {
    let w = row.len();
    if w == 0 {
        return None;
    }
    let c = c.min(w - 1);
    let lo = c.saturating_sub(1);
    let hi = (c + 1).min(w - 1);
    let mut peak = c;
    for k in lo..=hi {
        if row[k] > row[peak] {
            peak = k;
        }
    }
    if row[peak] < gap {
        return None;
    }
    // Climb to the local maximum (a few steps at most).
    for _ in 0..4 {
        let l = peak.checked_sub(1).filter(|&l| row[l] > row[peak]);
        let r = Some(peak + 1).filter(|&r| r < w && row[r] > row[peak]);
        match (l, r) {
            (Some(l), Some(r)) => peak = if row[l] >= row[r] { l } else { r },
            (Some(l), None) => peak = l,
            (None, Some(r)) => peak = r,
            (None, None) => break,
        }
    }
    let pv = row[peak];
    let half = gap;
    const TOL: u8 = 24;
    const REACH: usize = 40;
    let (mut sum, mut wsum) = (f32::from(pv), f32::from(pv) * peak as f32);
    for dir in [-1i64, 1] {
        let mut lowest = pv;
        for step in 1..=REACH as i64 {
            let k = peak as i64 + dir * step;
            if k < 0 || k >= w as i64 {
                break;
            }
            let v = row[k as usize];
            if v < half || v > lowest.saturating_add(TOL) {
                break;
            }
            lowest = lowest.min(v);
            sum += f32::from(v);
            wsum += f32::from(v) * k as f32;
        }
    }
    Some(wsum / sum)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// Renders curves `x(row)` (sub-pixel column at row centre) `thick` px wide into a
    /// `w x h` map: each row covers the span the curve sweeps over that row, so fast
    /// curves stay continuous.
    pub(super) fn render(w: usize, h: usize, curves: &[(&dyn Fn(f64) -> f64, f64)]) -> ProbMap {
        let mut data = vec![0u8; w * h];
        for &(x, thick) in curves {
            for r in 0..h {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for k in 0..=8 {
                    let v = x(r as f64 - 0.5 + k as f64 / 8.0);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                let (a, b) = (lo - thick / 2.0, hi + thick / 2.0);
                for c in 0..w {
                    let cov = (b.min(c as f64 + 0.5) - a.max(c as f64 - 0.5)).clamp(0.0, 1.0);
                    let v = (cov * 255.0).round() as u8;
                    let px = &mut data[r * w + c];
                    *px = (*px).max(v);
                }
            }
        }
        ProbMap { width: w, height: h, data }
    }

    fn erase_rows(map: &mut ProbMap, rows: std::ops::Range<usize>) {
        for r in rows {
            for c in 0..map.width {
                map.data[r * map.width + c] = 0;
            }
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Fraction of rows whose traced column is nearer `want` than `other` (rows
    /// where the two curves are within `tol` px count as right when the trace is
    /// within `tol` of `want`). Rows without a value count as wrong.
    fn on_curve(t: &[Option<f32>], want: &dyn Fn(f64) -> f64, other: &dyn Fn(f64) -> f64, tol: f64) -> f64 {
        let ok = t
            .iter()
            .enumerate()
            .filter(|(r, v)| {
                let Some(v) = v else { return false };
                let (a, b) = (want(*r as f64), other(*r as f64));
                let (da, db) = ((f64::from(*v) - a).abs(), (f64::from(*v) - b).abs());
                da <= tol || (da < db && da <= 2.0 * tol)
            })
            .count();
        ok as f64 / t.len() as f64
    }

    fn max_err(t: &[Option<f32>], x: &dyn Fn(f64) -> f64) -> f64 {
        t.iter().enumerate().filter_map(|(r, v)| v.map(|v| (f64::from(v) - x(r as f64)).abs())).fold(0.0, f64::max)
    }

    #[test]
    fn straight_line() {
        let x = |_r: f64| 100.3;
        let map = render(256, 400, &[(&x, 2.0)]);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        assert_eq!(t.len(), 400);
        assert!(t.iter().all(Option::is_some));
        assert!(max_err(&t, &x) < 0.1, "max error {}", max_err(&t, &x));
        let t2 = trace(&map, Some(Seed { col: 101.0, row: 200.0 }), &TraceParams::default()).unwrap();
        assert_eq!(t, t2);
    }

    #[test]
    fn sine_curve() {
        let x = |r: f64| 128.0 + 90.0 * (r * std::f64::consts::TAU / 500.0).sin();
        let map = render(256, 2000, &[(&x, 2.5)]);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        assert!(t.iter().all(Option::is_some));
        let e = max_err(&t, &x);
        assert!(e < 0.6, "max error {e}");
    }

    #[test]
    fn gaps_stay_gaps_and_the_path_resumes() {
        let x = |r: f64| 60.0 + 0.05 * r;
        let mut map = render(256, 1000, &[(&x, 2.0)]);
        erase_rows(&mut map, 300..380);
        erase_rows(&mut map, 700..705);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        for (r, v) in t.iter().enumerate() {
            let gap = (300..380).contains(&r) || (700..705).contains(&r);
            assert_eq!(v.is_none(), gap, "row {r}: {v:?}");
        }
        assert!(max_err(&t, &x) < 0.3);
        // Seeded below the gap, traced upward across it.
        let t2 = trace(&map, Some(Seed { col: 60.0 + 0.05 * 900.0, row: 900.0 }), &TraceParams::default()).unwrap();
        assert_eq!(t, t2);
    }

    #[test]
    fn curve_running_off_the_track_is_a_gap() {
        // A curve that leaves the track on the right for 200 rows and comes back.
        let x = |r: f64| 200.0 + 80.0 * (r * std::f64::consts::TAU / 1000.0).sin();
        let map = render(256, 1000, &[(&x, 2.0)]);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        for (r, v) in t.iter().enumerate() {
            let xr = x(r as f64);
            if xr < 254.0 {
                assert!(v.is_some_and(|v| (f64::from(v) - xr).abs() < 0.6), "row {r}: {v:?} vs {xr}");
            } else if xr > 258.0 {
                assert!(v.is_none(), "row {r}: {v:?} vs {xr}");
            }
        }
    }

    fn crossing_case(a: &dyn Fn(f64) -> f64, b: &dyn Fn(f64) -> f64, h: usize, seed_row: usize) -> (f64, f64) {
        let map = render(256, h, &[(a, 2.0), (b, 2.0)]);
        let p = TraceParams::default();
        let sr = seed_row as f64;
        let ta = trace(&map, Some(Seed { col: a(sr) as f32, row: seed_row as f32 }), &p).unwrap();
        let tb = trace(&map, Some(Seed { col: b(sr) as f32, row: seed_row as f32 }), &p).unwrap();
        let f = (on_curve(&ta, a, b, 1.5), on_curve(&tb, b, a, 1.5));
        eprintln!("crossing case, seed row {seed_row}: on A {:.4}, on B {:.4}", f.0, f.1);
        f
    }

    #[test]
    fn x_crossing_keeps_its_curve() {
        // A slanted curve crossing a vertical one: a first-order jump penalty alone
        // would switch onto the vertical curve after the crossing.
        let a = |r: f64| 30.0 + 0.2 * r;
        let b = |_r: f64| 128.0;
        let (fa, fb) = crossing_case(&a, &b, 1000, 50);
        assert!(fa >= 0.98 && fb >= 0.98, "on A {fa}, on B {fb}");
        // Seeded below the crossing: traced upward through it.
        let (fa, fb) = crossing_case(&a, &b, 1000, 950);
        assert!(fa >= 0.98 && fb >= 0.98, "on A {fa}, on B {fb}");
        // A shallow crossing angle.
        let a = |r: f64| 78.0 + 0.1 * r;
        let b = |r: f64| 178.0 - 0.1 * r;
        let (fa, fb) = crossing_case(&a, &b, 1000, 20);
        assert!(fa >= 0.98 && fb >= 0.98, "shallow: on A {fa}, on B {fb}");
        // Steep against vertical.
        let a = |r: f64| 28.0 + 1.0 * r;
        let b = |_r: f64| 128.0;
        let (fa, fb) = crossing_case(&a, &b, 220, 10);
        assert!(fa >= 0.98 && fb >= 0.98, "steep: on A {fa}, on B {fb}");
    }

    #[test]
    fn sine_curves_crossing_many_times() {
        use std::f64::consts::TAU;
        let a = |r: f64| 128.0 + 70.0 * (r * TAU / 600.0).sin();
        let b = |r: f64| 128.0 + 60.0 * (r * TAU / 430.0 + 1.0).sin();
        let map = render(256, 4000, &[(&a, 2.0), (&b, 2.0)]);
        let crossings = (1..4000)
            .filter(|&r| (a(r as f64) - b(r as f64)).signum() != (a(r as f64 - 1.0) - b(r as f64 - 1.0)).signum())
            .count();
        assert!(crossings >= 8, "only {crossings} crossings");
        let (fa, fb) = crossing_case(&a, &b, 4000, 100);
        assert!(fa >= 0.98 && fb >= 0.98, "on A {fa}, on B {fb}");
        let (fa, fb) = crossing_case(&a, &b, 4000, 2500);
        assert!(fa >= 0.98 && fb >= 0.98, "mid seed: on A {fa}, on B {fb}");
        drop(map);
    }

    #[test]
    fn dashed_curve_next_to_a_solid_one_keeps_its_curve() {
        use std::f64::consts::TAU;
        // A solid sine and a dashed curve (9 rows on, 3 off) wandering around it,
        // touching and crossing it: continuous ink is cheaper to follow than the
        // dashes' gaps, so without the style cost the dashed trace slides onto the
        // solid line, and the solid trace onto dashes where they run together.
        let a = |r: f64| 128.0 + 60.0 * (r * TAU / 900.0).sin();
        let b = |r: f64| a(r) + 7.0 * (r * TAU / 350.0).sin() + 3.0;
        let mut map = render(256, 3000, &[(&a, 2.5)]);
        let dashes = render(256, 3000, &[(&b, 2.0)]);
        for r in 0..3000 {
            if r % 12 < 9 {
                for c in 0..256 {
                    let i = r * 256 + c;
                    map.data[i] = map.data[i].max(dashes.data[i]);
                }
            }
        }
        let p = TraceParams::default();
        for seed_row in [100usize, 1500] {
            let sr = seed_row as f64;
            let tb = trace(&map, Some(Seed { col: b(sr) as f32, row: sr as f32 }), &p).unwrap();
            let ta = trace(&map, Some(Seed { col: a(sr) as f32, row: sr as f32 }), &p).unwrap();
            // Dash rows only: in a gap the dashed trace has no value.
            let on_b = tb.iter().enumerate().filter(|(r, _)| r % 12 < 9).filter(|(r, v)| {
                v.is_some_and(|v| {
                    let (db, da) = ((f64::from(v) - b(*r as f64)).abs(), (f64::from(v) - a(*r as f64)).abs());
                    db <= 1.5 || (db < da && db <= 3.0)
                })
            });
            let fb = on_b.count() as f64 / (3000.0 * 9.0 / 12.0);
            let fa = on_curve(&ta, &a, &b, 1.5);
            eprintln!("dashed next to solid, seed row {seed_row}: on solid {fa:.4}, on dashed {fb:.4}");
            assert!(fa >= 0.98 && fb >= 0.85, "seed row {seed_row}: on solid {fa}, on dashed {fb}");
        }
    }

    #[test]
    fn seed_on_dashes_joined_by_faint_ink_keeps_the_dashed_curve() {
        use std::f64::consts::TAU;
        // A dashed curve (9 rows on, 3 off) beside a solid one, 26 to 90 columns
        // away. Below the seed, faint ink bridges three gaps, so the seed's
        // component spans 45 rows: more than a dash, less than a solid line.
        let a = |r: f64| 150.0 + 20.0 * (r * TAU / 700.0).sin();
        let b = |r: f64| 100.0 + 12.0 * (r * TAU / 260.0).sin() - 8.0;
        let h = 1500usize;
        let mut map = render(256, h, &[(&a, 3.0)]);
        let dashes = render(256, h, &[(&b, 2.0)]);
        let seed_row = 600usize;
        for r in 0..h {
            let joined = (seed_row - 3..seed_row + 24).contains(&r);
            let scale = if r % 12 < 9 {
                1.0
            } else if joined {
                0.3
            } else {
                continue;
            };
            for c in 0..256 {
                let i = r * 256 + c;
                map.data[i] = map.data[i].max((f64::from(dashes.data[i]) * scale) as u8);
            }
        }
        let gap = quantise_ceil(TraceParams::default().gap);
        let (_, seed_rows) = component_extents(&map, gap, MAX_SPLIT, (seed_row, b(seed_row as f64).round() as usize));
        assert!(seed_rows > SHORT_EXTENT && seed_rows <= LONG_EXTENT, "{seed_rows}");
        let sr = seed_row as f64;
        let t = trace(&map, Some(Seed { col: b(sr) as f32, row: sr as f32 }), &TraceParams::default()).unwrap();
        // Dash rows on the dashed curve; rows on the solid one.
        let dash_rows = (0..h).filter(|r| r % 12 < 9).count() as f64;
        let on_b = t
            .iter()
            .enumerate()
            .filter(|(r, v)| r % 12 < 9 && v.is_some_and(|v| (f64::from(v) - b(*r as f64)).abs() <= 2.0))
            .count() as f64
            / dash_rows;
        let on_a =
            t.iter().enumerate().filter(|(r, v)| v.is_some_and(|v| (f64::from(v) - a(*r as f64)).abs() <= 2.0)).count();
        eprintln!("seed on joined dashes: seed component {seed_rows} rows, on dashed {on_b:.4}, rows on solid {on_a}");
        assert!(on_b >= 0.95 && on_a == 0, "on dashed {on_b}, rows on solid {on_a}");
    }

    #[test]
    fn components_are_as_long_as_their_row_or_column_span() {
        // A fast stroke (5 rows, 166 columns), a vertical dash (10 rows, 3 columns)
        // and a dash of a curve sweeping sideways (3 rows, 31 columns).
        let (w, h) = (200usize, 60usize);
        let mut map = ProbMap { width: w, height: h, data: vec![0u8; w * h] };
        let mut ink = |r: usize, cols: std::ops::Range<usize>| {
            for c in cols {
                map.data[r * w + c] = 255;
            }
        };
        for k in 0..5 {
            ink(10 + k, 20 + 30 * k..20 + 30 * k + 46);
        }
        for r in 30..40 {
            ink(r, 100..103);
        }
        for r in 50..53 {
            ink(r, 60..91);
        }
        let gap = quantise_ceil(TraceParams::default().gap);
        let at = |e: &[u8], r: usize, c: usize| e[r * w + c];
        let (e, stroke_rows) = component_extents(&map, gap, MAX_SPLIT, (12, 100));
        // The stroke is long although it spans only 5 rows: a dashed curve's path
        // must not ride it for free.
        assert_eq!((at(&e, 12, 100), stroke_rows), (166, 5));
        assert!(at(&e, 12, 100) > LONG_EXTENT);
        let (e, dash_rows) = component_extents(&map, gap, MAX_SPLIT, (35, 101));
        assert_eq!((at(&e, 35, 101), dash_rows), (10, 10));
        // A seed on the sideways dash is on a dashed curve (by its rows), though
        // the dash spans 31 columns.
        let (e, side_rows) = component_extents(&map, gap, MAX_SPLIT, (51, 75));
        assert_eq!((at(&e, 51, 75), side_rows), (31, 3));
        assert!(side_rows <= LONG_EXTENT);
        assert_eq!(at(&e, 0, 0), 0);
    }

    #[test]
    fn spikes_towards_a_neighbour_are_followed() {
        // A curve at column 90 with a sharp spike to the right every 150 rows
        // (the tip `gap` columns short of a straight neighbour at column 150): at the
        // tip the line through the curve's last positions lands on the neighbour,
        // which is not joined to the curve, so the spike must be followed back.
        for gap in [3.0, 6.0, 10.0, 16.0] {
            let tip = 150.0 - gap;
            let a = move |r: f64| {
                let t = r.rem_euclid(150.0);
                if (60.0..72.0).contains(&t) {
                    90.0 + (tip - 90.0) * (1.0 - ((t - 66.0) / 6.0).abs())
                } else {
                    90.0
                }
            };
            let b = |_r: f64| 150.0;
            let (fa, fb) = crossing_case(&a, &b, 1500, 20);
            assert!(
                fa >= 0.99 && fb >= 0.99,
                "tip {gap} columns short: on the spiky curve {fa}, on the straight one {fb}"
            );
        }
    }

    #[test]
    fn touching_curves_keep_their_pen() {
        use std::f64::consts::PI;
        // Two curves that meet and bounce apart (a V, not an X) every 400 rows:
        // the model's map shows them alike, so direction alone carries the path
        // across onto the other curve at about every other bounce. In the ink one
        // curve is darker (another pen): with the ink, the seeded curve is kept.
        let d = |r: f64| 40.0 * (r * PI / 400.0).sin().abs();
        let a = |r: f64| 128.0 + d(r) + 0.01 * r;
        let b = |r: f64| 128.0 - d(r) + 0.01 * r;
        let h = 2400;
        let map = render(256, h, &[(&a, 2.0), (&b, 2.0)]);
        let (ma, mb) = (render(256, h, &[(&a, 2.0)]), render(256, h, &[(&b, 2.0)]));
        let ink: Vec<f32> = ma
            .data
            .iter()
            .zip(&mb.data)
            .map(|(&x, &y)| (0.9 * f32::from(x) / 255.0).max(0.7 * f32::from(y) / 255.0))
            .collect();
        let p = TraceParams::default();
        for (want, other, dark) in [(&a as &dyn Fn(f64) -> f64, &b as &dyn Fn(f64) -> f64, "dark"), (&b, &a, "light")] {
            let seed = Seed { col: want(1000.0) as f32, row: 1000.0 };
            let plain = on_curve(&trace(&map, Some(seed), &p).unwrap(), want, other, 1.5);
            let with_ink = on_curve(&trace_with_ink(&map, Some(&ink), Some(seed), &p).unwrap(), want, other, 1.5);
            eprintln!("touching curves, seed on the {dark} one: on it {plain:.4} from the map alone, {with_ink:.4} with the ink");
            assert!(with_ink >= 0.97, "{dark}: {with_ink}");
        }
        // A wrong-sized ink slice is ignored.
        let seed = Seed { col: a(1000.0) as f32, row: 1000.0 };
        assert_eq!(
            trace_with_ink(&map, Some(&ink[1..]), Some(seed), &p).unwrap(),
            trace(&map, Some(seed), &p).unwrap()
        );
    }

    #[test]
    fn seeded_path_keeps_a_sparse_curve_beside_a_denser_one() {
        // A dash-dot curve (dashes of 14 rows, dots of 3, gaps of 5: 37% paper)
        // 57 columns left of a dashed one (dashes of 14 rows, gaps of 3: 18%
        // paper), as in a two-curve track. A single DP over the whole track would
        // buy the denser neighbour's missing paper cost with one jump; the seeded
        // trace must stay on the clicked curve.
        let a = |r: f64| 70.0 + 4.0 * (r / 90.0).sin();
        let b = |r: f64| 127.0 + 3.0 * (r / 70.0).cos();
        let h = 3000;
        let (ma, mb) = (render(256, h, &[(&a, 2.0)]), render(256, h, &[(&b, 3.0)]));
        let a_ink = |r: usize| matches!(r % 27, 0..=13 | 19..=21);
        let b_ink = |r: usize| r % 17 < 14;
        let w = 256;
        let mut data = vec![0u8; w * h];
        for r in 0..h {
            for c in 0..w {
                let va = if a_ink(r) { ma.data[r * w + c] } else { 0 };
                let vb = if b_ink(r) { mb.data[r * w + c] } else { 0 };
                data[r * w + c] = va.max(vb);
            }
        }
        let map = ProbMap { width: w, height: h, data };
        let p = TraceParams::default();
        for seed_row in [20usize, 1512, 2980] {
            let seed = Seed { col: a(seed_row as f64) as f32, row: seed_row as f32 };
            assert!(a_ink(seed_row));
            let t = trace(&map, Some(seed), &p).unwrap();
            // Rows with the dash-dot curve's ink: the path is on it.
            let (mut on, mut n) = (0, 0);
            for (r, v) in t.iter().enumerate().filter(|(r, _)| a_ink(*r)) {
                n += 1;
                on += usize::from(v.is_some_and(|v| (f64::from(v) - a(r as f64)).abs() < 1.5));
            }
            let frac = on as f64 / n as f64;
            assert!(frac > 0.99, "seed row {seed_row}: on the seeded curve in {frac:.4} of its rows");
            // And never on the dashed one.
            assert!(t.iter().enumerate().all(|(r, v)| v.is_none_or(|v| (f64::from(v) - b(r as f64)).abs() > 20.0)));
        }
    }

    #[test]
    fn fast_spike_is_followed() {
        // A vertical curve with a spike 80 columns wide over 4 rows at row 500.
        let x = |r: f64| {
            let d = (r - 500.0).abs();
            if d < 2.0 {
                60.0 + 40.0 * (2.0 - d)
            } else {
                60.0
            }
        };
        let map = render(256, 1000, &[(&x, 2.0)]);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        let far = t[498..503].iter().filter_map(|v| *v).fold(0f32, f32::max);
        assert!(far > 120.0, "spike reached only {far}: {:?}", &t[496..505]);
        assert!(t.iter().all(Option::is_some));
        assert!((t[510].unwrap() - 60.0).abs() < 0.3);
        assert!((t[490].unwrap() - 60.0).abs() < 0.3);
    }

    #[test]
    fn swing_the_model_marks_faintly_is_followed_along_the_scan() {
        // A wavy curve near column 40 swings 156 columns out and back between rows
        // 400 and 423, its strokes nearly horizontal (12 and 16 columns a row). The
        // model marks the swing's tip and the curve above and below it but leaves
        // the fast strokes faint (under `gap`), as on real prints; the scan has
        // them, and a heavy grid line at column 100 that the model left out.
        let base = |r: f64| 40.0 + 8.0 * (r / 37.0).sin();
        let x = |r: f64| {
            base(r)
                + if (400.0..=413.0).contains(&r) {
                    12.0 * (r - 400.0)
                } else if (413.0..=423.0).contains(&r) {
                    156.0 - 15.6 * (r - 413.0)
                } else {
                    0.0
                }
        };
        let (w, h) = (256, 800);
        let scan = render(w, h, &[(&x, 3.0), (&|_| 100.0, 3.0)]);
        let ink: Vec<f32> = scan.data.iter().map(|&v| f32::from(v) / 255.0).collect();
        let mut map = render(w, h, &[(&x, 3.0)]);
        for r in 401..423 {
            if (411..=415).contains(&r) {
                continue;
            }
            for v in &mut map.data[r * w..(r + 1) * w] {
                *v = (*v).min(20);
            }
        }
        let seed = Some(Seed { col: base(200.0) as f32, row: 200.0 });
        let t = trace_with_ink(&map, Some(&ink), seed, &TraceParams::default()).unwrap();
        let tip = t[411..=415].iter().filter_map(|v| *v).fold(0f32, f32::max);
        assert!(tip > 175.0, "the swing's tip reached only {tip}: {:?}", &t[396..430]);
        for r in [390, 450] {
            assert!((f64::from(t[r].unwrap()) - base(r as f64)).abs() < 1.5, "row {r}: {:?}", t[r]);
        }
        // Without the scan the faint strokes are paper, and the path does not go out.
        let blind = trace(&map, seed, &TraceParams::default()).unwrap();
        let reach = blind[411..=415].iter().filter_map(|v| *v).fold(0f32, f32::max);
        assert!(reach < 100.0, "without the scan the path reached {reach}");
    }

    #[test]
    fn sweeps_drawn_with_a_round_pen_are_placed_at_the_row_centre() {
        // A sine swinging up to 7.5 columns per row, drawn with a round pen 5 px
        // across: each row's ink covers the curve over the rows the pen reaches,
        // so its centroid sits off the curve wherever the curve bends.
        let x = |s: f64| 128.0 + 60.0 * (s / 8.0).sin();
        let (w, h, rad) = (256usize, 400usize, 2.5f64);
        let mut data = vec![0u8; w * h];
        for k in -200..(h as i64 + 10) * 20 {
            let s = k as f64 / 20.0;
            let (r0, c0) = (s, x(s));
            for r in (r0 - rad).ceil().max(0.0) as usize..=((r0 + rad).floor().max(0.0) as usize).min(h - 1) {
                for c in (c0 - rad).ceil().max(0.0) as usize..=((c0 + rad).floor() as usize).min(w - 1) {
                    if (r as f64 - r0).powi(2) + (c as f64 - c0).powi(2) <= rad * rad {
                        data[r * w + c] = 255;
                    }
                }
            }
        }
        let map = ProbMap { width: w, height: h, data };
        let mean_err = |p: &TraceParams| {
            let t = trace(&map, None, p).unwrap();
            (2..h - 2).map(|r| (f64::from(t[r].unwrap()) - x(r as f64)).abs()).sum::<f64>() / (h - 4) as f64
        };
        let with = mean_err(&TraceParams::default());
        let without = mean_err(&TraceParams { sweep_cols: 1e6, ..TraceParams::default() });
        assert!(with < 0.8 && with < 0.6 * without, "mean error {with:.3} columns (centroids only: {without:.3})");
    }

    #[test]
    fn speckle_is_not_followed() {
        let x = |r: f64| 100.0 + 20.0 * (r / 150.0).sin();
        let mut map = render(256, 3000, &[(&x, 2.0)]);
        erase_rows(&mut map, 1000..1040);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..4000 {
            let (r, c) = (rng.below(2999), rng.below(255));
            if (c as f64 - x(r as f64)).abs() < 6.0 {
                continue;
            }
            for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                map.data[(r + dr) * 256 + c + dc] = 255;
            }
        }
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        let mut off = 0;
        for (r, v) in t.iter().enumerate() {
            if let Some(v) = v {
                if (f64::from(*v) - x(r as f64)).abs() > 1.0 {
                    off += 1;
                }
            } else {
                assert!((1000..1040).contains(&r), "row {r} lost");
            }
        }
        // Only a speckle right on the path through the gap may be picked up.
        assert!(off <= 4, "{off} rows off the curve");
        let none = t[1000..1040].iter().filter(|v| v.is_none()).count();
        assert!(none >= 36, "gap rows traced: {}", 40 - none);
    }

    #[test]
    fn empty_or_nearly_empty_map_is_no_curve() {
        let map = ProbMap { width: 256, height: 500, data: vec![0; 256 * 500] };
        let e = trace(&map, None, &TraceParams::default()).unwrap_err();
        assert!(matches!(&e, Error::NoCurve(m) if m.contains("track edges") && m.contains("inverted")), "{e:?}");
        let e = trace(&map, Some(Seed { col: 10.0, row: 10.0 }), &TraceParams::default()).unwrap_err();
        assert!(matches!(e, Error::NoCurve(_)));
        // Faint noise below the gap level is no ink either.
        let map = ProbMap { width: 256, height: 500, data: vec![30; 256 * 500] };
        assert!(matches!(trace(&map, None, &TraceParams::default()), Err(Error::NoCurve(_))));
        // Ink on 5 of 500 rows (1%).
        let mut map = ProbMap { width: 256, height: 500, data: vec![0; 256 * 500] };
        for r in 10..15 {
            map.data[r * 256 + 40] = 255;
        }
        let e = trace(&map, None, &TraceParams::default()).unwrap_err();
        assert!(matches!(&e, Error::NoCurve(m) if m.contains("5 of 500")), "{e:?}");
        let empty = ProbMap { width: 0, height: 0, data: vec![] };
        assert!(matches!(trace(&empty, None, &TraceParams::default()), Err(Error::NoCurve(_))));
    }

    #[test]
    fn bad_seed_and_bad_map() {
        let x = |_r: f64| 100.0;
        let map = render(256, 200, &[(&x, 2.0)]);
        let p = TraceParams::default();
        let e = trace(&map, Some(Seed { col: 120.0, row: 50.0 }), &p).unwrap_err();
        assert!(
            matches!(&e, Error::BadParameter(m) if m.contains("not on a curve") && m.contains("click on the curve")),
            "{e:?}"
        );
        // Within the radius: snaps to the ink.
        let t = trace(&map, Some(Seed { col: 104.0, row: 50.0 }), &p).unwrap();
        assert!((t[50].unwrap() - 100.0).abs() < 0.1);
        for (col, row) in [(-3.0, 5.0), (300.0, 5.0), (100.0, 200.0), (f32::NAN, 1.0)] {
            let e = trace(&map, Some(Seed { col, row }), &p).unwrap_err();
            assert!(matches!(&e, Error::BadParameter(m) if m.contains("outside the track")), "{e:?}");
        }
        let short = ProbMap { width: 10, height: 10, data: vec![0; 99] };
        assert!(matches!(trace(&short, None, &p), Err(Error::BadParameter(_))));
        let huge = ProbMap { width: usize::MAX, height: 2, data: vec![] };
        assert!(matches!(trace(&huge, None, &p), Err(Error::Limits(_))));
        let bad = TraceParams { gap: 0.9, ..TraceParams::default() };
        assert!(matches!(trace(&map, None, &bad), Err(Error::BadParameter(_))));
    }

    #[test]
    fn seed_at_edges_and_tiny_maps() {
        let x = |_r: f64| 3.0;
        let map = render(8, 3, &[(&x, 2.0)]);
        for row in [0.0, 1.0, 2.0] {
            let t = trace(&map, Some(Seed { col: 3.0, row }), &TraceParams::default()).unwrap();
            assert_eq!(t.len(), 3);
            assert!(t.iter().all(|v| v.is_some_and(|v| (v - 3.0).abs() < 0.1)), "{t:?}");
        }
        let one = ProbMap { width: 1, height: 1, data: vec![255] };
        assert_eq!(trace(&one, None, &TraceParams::default()).unwrap(), vec![Some(0.0)]);
    }

    #[test]
    fn wide_map_uses_u16_back_pointers() {
        let x = |r: f64| 300.0 + 200.0 * (r / 80.0).sin();
        let map = render(600, 500, &[(&x, 2.0)]);
        let t = trace(&map, None, &TraceParams::default()).unwrap();
        assert!(max_err(&t, &x) < 0.6);
    }

    #[test]
    fn long_map_256_by_20000() {
        use std::f64::consts::TAU;
        // A sine and a zigzag: they cross at angles of at least 0.3 column per row
        // (curves that run side by side, touching, are ambiguous by nature).
        let a = |r: f64| 128.0 + 100.0 * (r * TAU / 3000.0).sin();
        let b = |r: f64| {
            let ph = (r / 800.0).rem_euclid(1.0);
            128.0 + 110.0 * if ph < 0.5 { 4.0 * ph - 1.0 } else { 3.0 - 4.0 * ph }
        };
        let map = render(256, 20_000, &[(&a, 2.0), (&b, 2.5)]);
        let crossings = (1..20_000)
            .filter(|&r| (a(r as f64) - b(r as f64)).signum() != (a(r as f64 - 1.0) - b(r as f64 - 1.0)).signum())
            .count();
        assert!(crossings >= 40, "{crossings} crossings");
        let p = TraceParams::default();
        let ta = trace(&map, Some(Seed { col: a(10_000.0) as f32, row: 10_000.0 }), &p).unwrap();
        assert_eq!(ta.len(), 20_000);
        let fa = on_curve(&ta, &a, &b, 1.5);
        let tb = trace(&map, Some(Seed { col: b(10_000.0) as f32, row: 10_000.0 }), &p).unwrap();
        let fb = on_curve(&tb, &b, &a, 1.5);
        eprintln!("20,000 rows, {crossings} crossings: on A {fa:.4}, on B {fb:.4}");
        assert!(fa >= 0.98 && fb >= 0.98, "on A {fa}, on B {fb}");
        // A wiggly curve alone, unseeded.
        let w = |r: f64| 128.0 + 100.0 * (r * TAU / 3000.0).sin() + 10.0 * (r * TAU / 97.0).sin();
        let map = render(256, 5_000, &[(&w, 2.0)]);
        let started = std::time::Instant::now();
        let t = trace(&map, None, &p).unwrap();
        eprintln!("256 x 5,000 traced in {:?}", started.elapsed());
        assert!(t.iter().all(Option::is_some));
        assert!(max_err(&t, &w) < 0.7, "max error {}", max_err(&t, &w));
    }
}
