//! Every tuned value of the depth-number reader and the depth fit, in one place.
//!
//! Sizes are in pixels of the scan; they cover 200-300 dpi prints whose depth numbers are
//! 10-40 px tall (measured on the three real prints: about 22 px on kinney-heinen-1-4, 200 dpi,
//! upright; about 14 px on bright-1 and stuckey-1, 300 dpi, sideways).

/// A pixel darker than this (0 = black) is ink.
pub const INK_BELOW: u8 = 128;

/// A component smaller than this many ink pixels is speckle, not part of a character.
pub const MIN_COMPONENT_PIXELS: usize = 6;
/// The smallest a character can be along its longer side.
pub const MIN_CHAR_SIZE: u32 = 7;
/// The largest a character (or a run of touching characters) can be across the label; larger ink is
/// a line, a curve or a stamp.
pub const MAX_CHAR_THICKNESS: u32 = 48;
/// The longest a component can be: a run of up to five touching characters.
pub const MAX_COMPONENT_LENGTH: u32 = 200;

/// A component wider than this fraction of the column span and less than two character sizes tall
/// is a line crossing the depth column, not a character.
pub const LINE_SPAN_FRACTION: f32 = 0.4;

/// Components join one label when their boxes, grown by this fraction of the smaller one's longer
/// side, overlap (0.9: the sideways "1" of some typefaces is a short bar a character's width away).
pub const JOIN_FRACTION: f32 = 0.9;
/// A label has this many characters at least (depth numbers: 2 to 5 digits).
pub const MIN_LABEL_CHARS: usize = 2;
/// ... and at most.
pub const MAX_LABEL_CHARS: usize = 5;
/// A run of ink (along the line of reading) longer than this many times the label's thickness may
/// be several touching characters: it is also read cut into 2, 3, ... pieces, and the cut the
/// classifier is surest of wins.
pub const SPLIT_ASPECT: f32 = 0.9;
/// The narrowest a character can be, as a fraction of the label's thickness (bounds the pieces tried).
pub const MIN_CHAR_ASPECT: f32 = 0.35;
/// The widest a character can be, as a fraction of the label's thickness (bounds the pieces tried).
pub const MAX_CHAR_ASPECT: f32 = 1.05;

/// A minus sign before a scale value ("-10") is a stroke at most this share of the label's height ...
pub const MINUS_MAX_HEIGHT: f32 = 0.3;
/// ... and at least this many times as wide as it is tall (a "1" is taller than wide).
pub const MINUS_MIN_ASPECT: f32 = 1.5;

/// A reading's confidence is the product of its characters' probabilities; below this it is not read.
pub const MIN_READING_CONFIDENCE: f32 = 0.25;

/// Readings below this confidence are left out of the depth fit (reported as rejected).
pub const FIT_MIN_CONFIDENCE: f32 = 0.3;
/// A reading fits the line when its row is within this fraction of the median row gap between
/// neighbouring labels of the line's prediction ...
pub const FIT_TOLERANCE_FRACTION: f64 = 0.2;
/// ... or within this many rows, whichever is larger.
pub const FIT_TOLERANCE_MIN_ROWS: f64 = 4.0;
/// The fewest labels that must agree on one line: two readings alone cannot show that neither is
/// misread, so a fit needs a third to confirm them.
pub const FIT_MIN_LABELS: usize = 3;
/// A label found but not read is placed on a labelled depth when its row is within this fraction of
/// the label spacing (in rows) of where the labels read around it put that depth.
pub const PLACE_TOLERANCE_FRACTION: f64 = 0.08;
/// Walking beyond the labels read stops after this many labelled depths in a row show no label.
pub const WALK_MAX_MISSES: usize = 2;
/// ... at the scale (rows per depth unit) of the last this many tie points.
pub const WALK_SCALE_TIES: usize = 4;
/// The depth fit considers at most this many readings (the surest): its pair search is cubic in them
/// (a depth column holds tens of labels; a whole page's numbers a few hundred).
pub const FIT_MAX_READINGS: usize = 300;

/// Header scales ([`super::scales`]) are looked for in this many rows above the log section's
/// first depth line (kinney-heinen-1-4, 200 dpi: its scale lines lie 130-300 rows above it).
pub const SCALE_HEADER_ROWS: u32 = 800;
/// A scale value is against a track's edge when it starts (ends) within this many label heights
/// inside the edge ...
pub const SCALE_EDGE_REACH: f64 = 3.0;
/// ... and at most this many pixels outside it.
pub const SCALE_EDGE_SLACK: f64 = 4.0;
/// Scale values read less surely than this are left out (a curve's name misread as digits).
pub const SCALE_MIN_CONFIDENCE: f32 = 0.5;
/// Two curve names printed between scale values are the same print when their inked boxes differ
/// by at most this many pixels in width and height ...
pub const SAME_NAME_SIZE_TOL: u32 = 4;
/// ... and their ink overlaps by this share (intersection over union) laid corner on corner.
pub const SAME_NAME_MIN_OVERLAP: f64 = 0.6;
