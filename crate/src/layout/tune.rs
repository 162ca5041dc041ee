//! Every tuned value of [`super`], in one place, with the case that set it.
//!
//! "Renders" are the synthetic prints of `crate/tests/layout.rs` (1-3 tracks, 100-300 dpi,
//! rotated 0-1 degree, 1-bit and noisy gray); the real prints are those of
//! `../shared/data/real/` (`kinney-heinen-1-4.tif`, `bright-1.tif`, `stuckey-1.tif`).

/// Rows in one band of the column-darkness profiles. At 1 degree a line drifts 0.56 px
/// over 32 rows, so a band's profile keeps a 1-px line in one or two columns.
pub const BAND_ROWS: usize = 32;

/// Columns in one strip of the row-darkness profiles (the same 0.56 px at 1 degree).
pub const STRIP_COLS: usize = 32;

/// Rows in one block: the vertical lines are measured once per block. 512 rows hold enough
/// of a dashed grid line (bright-1's grid is dashed, about 60 % dark) to find it, and the
/// real prints wobble at most about 6 px within one (stuckey-1 drifts 30 px in 3,000 rows).
pub const BLOCK_ROWS: usize = 512;

/// Places each side over which a profile's local mean is taken out before the skew and the
/// wobble are measured ([`super::skew::high_pass`]): wider than the heaviest line (stuckey-1's
/// are 9 px), narrower than a scan border (its 33 px; the rendered border case of
/// `crate/tests/layout.rs` stays upright while the print turns 0.5-1 degree).
pub const HIGH_PASS: usize = 8;

/// Largest skew searched, in degrees (the brief's rotated scans reach 1 degree).
pub const MAX_SKEW_DEG: f64 = 1.5;

/// Step of the coarse skew search, in degrees; the fine search then steps
/// [`SKEW_FINE_STEP_DEG`] within one coarse step each side.
pub const SKEW_COARSE_STEP_DEG: f64 = 0.05;
/// Step of the fine skew search, in degrees (0.002 degrees is 0.7 px over 20,000 rows).
pub const SKEW_FINE_STEP_DEG: f64 = 0.002;

/// Farthest, in columns, one block's grid may move against the block above it once the skew
/// is taken out: stuckey-1 wobbles about 6 px per 512 rows; half the narrowest real grid
/// spacing (bright-1, 38 px) bounds it from above so the search cannot jump a whole division.
pub const MAX_BLOCK_SHIFT: f64 = 12.0;

/// A block's column profile must have a column at least this dark to take part in the
/// drift chain (blocks of header text or blank paper carry the shift of the block above).
pub const DRIFT_MIN_PEAK: f32 = 0.3;

/// A column is part of a vertical line in one block when it is dark along at least this
/// share of the block's rows (bright-1's dashed lines are 45-70 % dark; curves crossing a
/// column darken it along a few percent).
pub const LINE_FRAC: f32 = 0.4;

/// Widest run of such columns that is one line; wider is a scan border or a bar (stuckey-1's
/// border is 33 px wide, its heaviest grid lines 9).
pub const MAX_LINE_WIDTH: usize = 14;

/// Widest run touching the scan's first or last column that is one line (kinney-heinen-1-4's
/// right track edge is its last two columns); wider there is a scan border.
pub const MAX_SIDE_LINE_WIDTH: usize = 4;

/// Peaks of different blocks within this many columns (in the frame with skew and wobble
/// taken out) are the same line.
pub const LINK_TOL: f64 = 3.0;

/// A vertical line must be found in at least this share of the blocks ("dark along more than
/// 30 % of the rows"): kinney-heinen-1-4's grid covers about 60 % of its rows (a header and a
/// repeat section are the rest).
pub const MIN_LINE_PRESENCE: f64 = 0.3;

/// A measured position farther than this many robust deviations (and at least
/// [`MIN_OUTLIER_PX`]) from a line's fit is left out of the fit.
pub const OUTLIER_MADS: f64 = 3.0;
/// See [`OUTLIER_MADS`].
pub const MIN_OUTLIER_PX: f64 = 2.0;

/// A row of an interval between two vertical lines holds a horizontal line when at least this
/// share of the interval's columns is dark on it.
pub const RULED_FRAC: f32 = 0.6;

/// An interval is ruled (inside a track) when it holds at least this share of the horizontal
/// lines per row of the most-ruled intervals; the depth column holds none or a few (numbers).
pub const RULED_SHARE: f64 = 0.3;

/// Fewest intervals (divisions) a track has.
pub const MIN_TRACK_DIVISIONS: usize = 2;

/// A grid line counts as matching an expected position when it lies within this share of the
/// local spacing of it, or [`GRID_TOL_PX`] columns, whichever is larger.
pub const GRID_TOL_SHARE: f64 = 0.2;
/// See [`GRID_TOL_SHARE`].
pub const GRID_TOL_PX: f64 = 2.0;

/// Most linear divisions and log decades tried.
pub const MAX_DIVISIONS: usize = 30;
/// See [`MAX_DIVISIONS`].
pub const MAX_DECADES: usize = 6;

/// A grid model is reported when its score (harmonic mean of the share of expected lines found
/// and the share of found lines expected) is at least this.
pub const MIN_GRID_SCORE: f64 = 0.6;

/// A row of a track's profile belongs to a depth line when at least this share of the track's
/// columns is dark on it (bright-1's dashed depth lines are about 60 % dark).
pub const DEPTH_LINE_FRAC: f32 = 0.8;

/// Thickest run of rows that is one depth line (a heavier run is a bar or a block of text).
pub const MAX_DEPTH_LINE_ROWS: usize = 14;

/// Fewest depth lines for a spacing to be reported.
pub const MIN_DEPTH_LINES: usize = 8;

/// A depth line's weight is compared with the median of this many lines each side of it
/// (bright-1's ink fades and darkens along the print: its heavy lines are 1.5 times the light
/// ones around them, but lighter than light ones elsewhere).
pub const NEIGHBOURS: usize = 12;

/// Weights (ink per column, as a ratio to the neighbours') of two classes of depth lines differ by at least this ratio;
/// closer, the lines are one class.
pub const WEIGHT_RATIO: f64 = 1.3;

/// Rows in one block of the depth lines' local slope (see [`super::skew::Tilt`]): stuckey-1
/// turns by about 1 degree within 4,000 rows; 2,048 rows hold 70-100 depth lines on the real
/// prints.
pub const TILT_ROWS: usize = 2048;

/// A block's slope counts when its straight lines stand out by at least this contrast (see
/// [`super::skew::Slope::contrast`]); else it takes the whole scan's.
pub const MIN_TILT_CONTRAST: f64 = 0.05;

/// Gaps each side whose median is a depth line's local spacing (for the sections).
pub const SECTION_WINDOW: usize = 4;
/// Most depth lines in a row that may be missing (hidden by a curve, a stamp, a faded dashed
/// line: bright-1) inside one section.
pub const MAX_MISSING_LINES: usize = 4;
/// A gap, or a local spacing, within this share of another is the same spacing.
pub const SPACING_TOL: f64 = 0.15;
/// Fewest depth lines of a section (kinney-heinen-1-4's header boxes make runs of a few).
pub const MIN_SECTION_LINES: usize = 20;

/// An inner line of a run of ruled intervals may be an edge two tracks share when its ink per
/// row is at least this share of the lighter of the run's edges: kinney-heinen-1-4's edges
/// and the line between its tracks 2 and 3 are all 3 px (its right edge, on the scan's last
/// columns, 2 px); the full-size render's track edges are 3 px.
pub const SHARED_EDGE_SHARE: f64 = 0.8;

/// ... and at least this many times the median of the run's other lines (kinney-heinen-1-4:
/// 3 px against 1 px; the full-size render: 3 px against 1 px); for two tracks of one
/// structure, also this many times each of them (kinney-heinen-1-4's tracks' midlines are
/// 2 px) and each track's major line (its midline, a decade) this many times its other lines.
pub const SHARED_EDGE_RATIO: f64 = 1.3;

/// Each side of a shared edge fits its own grid by at least this much (in grid score) better
/// than the whole run fits one, when the grid changes there (the full-size render: a linear
/// 10-division track next to a 4-decade log track).
pub const SPLIT_GRID_GAIN: f64 = 0.15;

/// The middle share of an interval's width that a horizontal line must cross too for the
/// interval to count it ([`super::tracks`]): the rendered case `gr-linear-png`
/// (tests/cases) draws the depth lines' ticks into its depth column from both sides, 18 %
/// of its width each for a heavy line (10 % medium, 5 % light), 3 rows thick, which darken
/// 60 % of two rows of the whole interval without touching its middle third; bright-1's
/// dashed depth lines still cross the middle third of its 38-px divisions.
pub const RULED_MIDDLE: f64 = 1.0 / 3.0;

/// Fewest regular divisions a linear track must show for its outer edge to be placed one grid
/// spacing beyond its outermost line found ([`super::tracks::extend_outer_edges`]): the spacing
/// is measured over them (stuckey-1's first track shows 9 of its 10).
pub const MIN_OUTER_DIVISIONS: usize = 4;
