//! Finding the number labels in a column span and reading them.
//!
//! Ink components of character size are grouped into labels (boxes that nearly touch); a label
//! wider than tall is read upright, a taller one sideways. Its characters are the groups of
//! components that overlap along the line of reading (a broken stroke stays one character); a run
//! of ink much longer than the label is thick may be several touching characters: it is also read
//! cut into 2, 3, ... pieces at the lightest columns, and the cut read most surely wins. Each
//! orientation the label's shape allows is read, and the most confident reading in which every
//! character is a digit (and the first is not a zero) is kept.

use super::components::{components, Component, Components};
use super::crop::Bitmap;
use super::tuning::*;
use super::{Orientation, Reading};
use crate::decode::GrayImage;
use crate::error::{Error, Result};

/// Classes of the character classifier: digits 0-9, then "not a digit".
pub const CLASSES: usize = 11;
/// Index of the "not a digit" class.
pub const NOT_DIGIT: usize = 10;

/// What a label may be: the depth column's numbers ([`DEPTH_NUMBERS`]) or the scale values
/// printed in a log's header ([`SCALE_VALUES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRules {
    /// Fewest characters (the most is [`MAX_LABEL_CHARS`]).
    pub min_chars: usize,
    /// A lone "0" is a number (a scale starting at zero); a longer number never starts with 0.
    pub zero: bool,
    /// A short dash before the digits is a minus sign ("-10").
    pub minus: bool,
    /// Labels taller than wide are read sideways (turned either way); otherwise every label is
    /// upright (a lone digit is taller than wide).
    pub sideways: bool,
    /// A flat stroke (a minus sign, the dashes of a line-style sample under a header's text) joins
    /// a label only beside it, never above or below.
    pub flat_inline: bool,
}

/// Depth numbers: 2 to 5 digits, upright or sideways, never starting with 0.
pub const DEPTH_NUMBERS: LabelRules =
    LabelRules { min_chars: MIN_LABEL_CHARS, zero: false, minus: false, sideways: true, flat_inline: false };
/// Scale values in a header box: 1 to 5 digits, upright, "0" and a minus sign allowed (a decimal
/// point is not read: such a label is left unread, never read as another number).
pub const SCALE_VALUES: LabelRules =
    LabelRules { min_chars: 1, zero: true, minus: true, sideways: false, flat_inline: true };

/// A character classifier: a normalised crop (see [`super::crop::Bitmap::normalise`]) in, the
/// probability of each class out. [`super::DigitReader`] is the one the project ships.
pub trait Classify {
    fn classify(&self, crop: &[f32]) -> Result<[f32; CLASSES]>;
}

/// A label before reading: its components and its characters' ranges along the line of reading.
#[derive(Debug, Clone)]
struct Candidate {
    members: Vec<u32>,
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    /// true: characters side by side (upright text); false: stacked (sideways text).
    horizontal: bool,
    /// Runs of ink along the reading axis (x for horizontal, y otherwise), in scan coordinates,
    /// each with the ways to cut it into characters (the first: uncut, when a run can be one).
    runs: Vec<Vec<Vec<(u32, u32)>>>,
}

fn overlap(a: &Component, b: &Component, grow: u32) -> bool {
    a.x0 < b.x1 + grow && b.x0 < a.x1 + grow && a.y0 < b.y1 + grow && b.y0 < a.y1 + grow
}

/// A flat stroke: at least three times as wide as tall, and lower than a character.
fn flat(c: &Component) -> bool {
    c.height() < MIN_CHAR_SIZE && c.width() >= 3 * c.height()
}

fn parent_of(p: &mut [usize], mut i: usize) -> usize {
    while p[i] != i {
        p[i] = p[p[i]];
        i = p[i];
    }
    i
}

/// Group the span's character-sized components into label candidates.
fn candidates(comps: &Components, rules: LabelRules) -> Vec<Candidate> {
    let span = comps.width;
    let keep: Vec<usize> = comps
        .list
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let (long, short) = (c.width().max(c.height()), c.width().min(c.height()));
            c.pixels >= MIN_COMPONENT_PIXELS
                && short <= MAX_CHAR_THICKNESS
                && long <= MAX_COMPONENT_LENGTH
                // ink cut by the span's edges is a piece of something outside it (a track edge, a curve)
                && c.x0 > comps.x0 && c.x1 < comps.x0 + span
                // a line running across much of the span (a depth line) is no character
                && (c.width() as f32 <= LINE_SPAN_FRACTION * span as f32 || c.height() >= MIN_CHAR_SIZE * 2)
        })
        .map(|(i, _)| i)
        .collect();
    let mut order = keep.clone();
    order.sort_by_key(|&i| comps.list[i].y0);
    let mut parent: Vec<usize> = (0..order.len()).collect();
    for a in 0..order.len() {
        let ca = comps.list[order[a]];
        for (b, &ob) in order.iter().enumerate().skip(a + 1) {
            let cb = comps.list[ob];
            let grow_max = (JOIN_FRACTION * MAX_COMPONENT_LENGTH as f32) as u32;
            if cb.y0 > ca.y1 + grow_max {
                break;
            }
            // grown by the smaller one's size: a big neighbour (a line, a mark) does not reach far
            let size = ca.width().max(ca.height()).min(cb.width().max(cb.height())).min(MAX_CHAR_THICKNESS);
            let grow = (JOIN_FRACTION * size as f32).round() as u32;
            let inline = !(rules.flat_inline && (flat(&ca) || flat(&cb))) || (ca.y0 < cb.y1 && cb.y0 < ca.y1);
            if inline && overlap(&ca, &cb, grow) {
                let (ra, rb) = (parent_of(&mut parent, a), parent_of(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); order.len()];
    for (k, &ok) in order.iter().enumerate() {
        let r = parent_of(&mut parent, k);
        groups[r].push(ok as u32);
    }
    let mut out = Vec::new();
    for members in groups.into_iter().filter(|g| !g.is_empty()) {
        let cs: Vec<&Component> = members.iter().map(|&i| &comps.list[i as usize]).collect();
        let x0 = cs.iter().map(|c| c.x0).min().unwrap_or(0);
        let y0 = cs.iter().map(|c| c.y0).min().unwrap_or(0);
        let x1 = cs.iter().map(|c| c.x1).max().unwrap_or(0);
        let y1 = cs.iter().map(|c| c.y1).max().unwrap_or(0);
        // a single upright character is taller than wide: where nothing is read sideways, all is upright
        let horizontal = x1 - x0 >= y1 - y0 || !rules.sideways;
        let thickness = if horizontal { y1 - y0 } else { x1 - x0 };
        if !(MIN_CHAR_SIZE..=MAX_CHAR_THICKNESS).contains(&thickness) {
            continue;
        }
        // characters: components overlapping along the reading axis
        let mut ranges: Vec<(u32, u32)> =
            cs.iter().map(|c| if horizontal { (c.x0, c.x1) } else { (c.y0, c.y1) }).collect();
        ranges.sort_unstable();
        let mut chars: Vec<(u32, u32)> = Vec::new();
        for r in ranges {
            match chars.last_mut() {
                Some(last) if r.0 < last.1 => last.1 = last.1.max(r.1),
                _ => chars.push(r),
            }
        }
        // specks along the line (a dot, a broken tail) are no characters of their own
        chars.retain(|&(a, b)| b - a >= 2);
        let mut cand = Candidate { members, x0, y0, x1, y1, horizontal, runs: Vec::new() };
        let runs: Vec<Vec<Vec<(u32, u32)>>> = chars.iter().map(|&(a, b)| cuts(comps, &cand, a, b, thickness)).collect();
        let fewest: usize = runs.iter().map(|o| o.first().map_or(0, Vec::len)).sum();
        let most: usize = runs.iter().map(|o| o.last().map_or(0, Vec::len)).sum();
        cand.runs = runs;
        if fewest <= MAX_LABEL_CHARS + usize::from(rules.minus)
            && most >= rules.min_chars
            && cand.runs.iter().all(|o| !o.is_empty())
        {
            out.push(cand);
        }
    }
    out.sort_by_key(|c| (c.y0, c.x0));
    out
}

/// Ink of the candidate's components at scan pixel (x, y).
fn ink(comps: &Components, cand: &Candidate, x: u32, y: u32) -> bool {
    let l = comps.label_at(x, y);
    l != 0 && cand.members.contains(&(l - 1))
}

/// The ways to cut run `a..b` (along the reading axis) into characters, fewest pieces first: uncut
/// when it can be one character, then 2, 3, ... pieces cut at the lightest rows or columns near the
/// even cuts.
fn cuts(comps: &Components, cand: &Candidate, a: u32, b: u32, thickness: u32) -> Vec<Vec<(u32, u32)>> {
    let len = (b - a) as f32;
    let t = thickness as f32;
    let mut options = Vec::new();
    if len <= MAX_CHAR_ASPECT * t {
        options.push(vec![(a, b)]);
    }
    if len <= SPLIT_ASPECT * t {
        return options;
    }
    let profile: Vec<u32> = (a..b)
        .map(|p| {
            if cand.horizontal {
                (cand.y0..cand.y1).filter(|&y| ink(comps, cand, p, y)).count() as u32
            } else {
                (cand.x0..cand.x1).filter(|&x| ink(comps, cand, x, p)).count() as u32
            }
        })
        .collect();
    let n_min = ((len / (MAX_CHAR_ASPECT * t)).ceil() as usize).max(2);
    let n_max = ((len / (MIN_CHAR_ASPECT * t)).floor() as usize).min(MAX_LABEL_CHARS);
    for n in n_min..=n_max {
        let step = len / n as f32;
        let mut at = vec![a];
        for k in 1..n {
            let centre = a as f32 + step * k as f32;
            let lo = ((centre - 0.3 * step).round() as u32).max(a + 1);
            let hi = ((centre + 0.3 * step).round() as u32).min(b - 1);
            // the lightest row or column; the one nearest the even cut on ties
            let best = (lo..=hi).min_by(|&p, &q| {
                let (vp, vq) = (profile[(p - a) as usize], profile[(q - a) as usize]);
                vp.cmp(&vq).then((p as f32 - centre).abs().total_cmp(&(q as f32 - centre).abs()))
            });
            match best {
                Some(p) if p > at[at.len() - 1] => at.push(p),
                _ => {}
            }
        }
        at.push(b);
        if at.len() == n + 1 {
            options.push(at.windows(2).map(|w| (w[0], w[1])).collect());
        }
    }
    options
}

/// The normalised crop of character `range` of a candidate, turned upright for `orientation`.
fn char_crop(comps: &Components, cand: &Candidate, range: (u32, u32), orientation: Orientation) -> Option<Vec<f32>> {
    let (x0, x1, y0, y1) =
        if cand.horizontal { (range.0, range.1, cand.y0, cand.y1) } else { (cand.x0, cand.x1, range.0, range.1) };
    let mut b = Bitmap::new((x1 - x0) as usize, (y1 - y0) as usize);
    for y in y0..y1 {
        for x in x0..x1 {
            if ink(comps, cand, x, y) {
                b.set((x - x0) as usize, (y - y0) as usize, true);
            }
        }
    }
    Some(b.tight()?.upright(orientation).normalise())
}

/// Whether run `range` of an upright candidate is a minus sign: a flat stroke (at most
/// [`MINUS_MAX_HEIGHT`] of the label's height, and [`MINUS_MIN_ASPECT`] times as wide as tall)
/// about the label's middle height.
fn is_minus(comps: &Components, cand: &Candidate, range: (u32, u32)) -> bool {
    let rows: Vec<u32> = (cand.y0..cand.y1).filter(|&y| (range.0..range.1).any(|x| ink(comps, cand, x, y))).collect();
    let (Some(&top), Some(&bottom)) = (rows.first(), rows.last()) else { return false };
    let (height, thickness) = ((bottom - top + 1) as f32, (cand.y1 - cand.y0) as f32);
    let middle = ((top + bottom) as f32 / 2.0 - cand.y0 as f32) / thickness;
    height <= MINUS_MAX_HEIGHT * thickness
        && (range.1 - range.0) as f32 >= MINUS_MIN_ASPECT * height
        && (0.3..=0.75).contains(&middle)
}

/// Read one candidate in one orientation: the text and its confidence, or `None` when a character
/// is not a digit, the number starts with a zero (other than a lone "0" where `rules` allow it) or
/// has too few or too many digits.
fn read_as(
    comps: &Components,
    cand: &Candidate,
    orientation: Orientation,
    classifier: &dyn Classify,
    rules: LabelRules,
) -> Result<Option<(String, f32)>> {
    let mut runs: Vec<&Vec<Vec<(u32, u32)>>> = cand.runs.iter().collect();
    if orientation == Orientation::Ccw90 {
        // text turned counter-clockwise reads from the bottom up
        runs.reverse();
    }
    let mut sign = "";
    if rules.minus && orientation == Orientation::Upright && runs.len() > 1 {
        if let Some(range) = runs[0].first().and_then(|o| (o.len() == 1).then_some(o[0])) {
            if is_minus(comps, cand, range) {
                sign = "-";
                runs.remove(0);
            }
        }
    }
    let mut text = String::new();
    let mut confidence = 1.0f32;
    for options in runs {
        // each way to cut the run, read; the one with the surest characters (geometric mean) wins
        let mut best: Option<(String, f32, f32)> = None;
        for option in options {
            let mut pieces: Vec<(u32, u32)> = option.clone();
            if orientation == Orientation::Ccw90 {
                pieces.reverse();
            }
            let mut t = String::new();
            let mut log_p = 0f32;
            let mut ok = true;
            for &range in &pieces {
                let Some(crop) = char_crop(comps, cand, range, orientation) else {
                    ok = false;
                    break;
                };
                let p = classifier.classify(&crop)?;
                let (digit, prob) =
                    p.iter().enumerate().fold((NOT_DIGIT, 0f32), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
                if digit == NOT_DIGIT || (text.is_empty() && t.is_empty() && digit == 0 && !rules.zero) {
                    ok = false;
                    break;
                }
                t.push(char::from(b'0' + digit as u8));
                log_p += prob.max(1e-6).ln();
            }
            if !ok {
                continue;
            }
            let mean = log_p / pieces.len() as f32;
            if best.as_ref().is_none_or(|b| mean > b.2) {
                best = Some((t, log_p.exp(), mean));
            }
        }
        let Some((t, p, _)) = best else { return Ok(None) };
        text.push_str(&t);
        confidence *= p;
    }
    if !(rules.min_chars..=MAX_LABEL_CHARS).contains(&text.len()) || (text.len() > 1 && text.starts_with('0')) {
        return Ok(None);
    }
    Ok(Some((format!("{sign}{text}"), confidence)))
}

/// Find and read the number labels in columns `x0..x1` of a scan, over all its rows, top to bottom.
/// A label found but not read (no orientation gives digits surely enough) is listed too, with an
/// empty text, value NaN, no orientation and confidence 0: [`super::fit_depth`] can still place it
/// by the labels around it.
pub fn read_labels(img: &GrayImage, x0: u32, x1: u32, classifier: &dyn Classify) -> Result<Vec<Reading>> {
    read_labels_with(img, x0, x1, classifier, DEPTH_NUMBERS)
}

/// As [`read_labels`], for labels that follow `rules` (where they read nothing sideways, every
/// label is read upright).
pub fn read_labels_with(
    img: &GrayImage,
    x0: u32,
    x1: u32,
    classifier: &dyn Classify,
    rules: LabelRules,
) -> Result<Vec<Reading>> {
    if x1 <= x0 || x0 >= img.width {
        return Err(Error::bad_parameter(format!(
            "the depth column {x0}..{x1} is empty or outside the scan ({} px wide)",
            img.width
        )));
    }
    let comps = components(img, x0, x1);
    let mut out = Vec::new();
    for cand in candidates(&comps, rules) {
        let orientations: &[Orientation] =
            if cand.horizontal { &[Orientation::Upright] } else { &[Orientation::Ccw90, Orientation::Cw90] };
        let mut best: Option<(String, f32, Orientation)> = None;
        for &o in orientations {
            if let Some((text, conf)) = read_as(&comps, &cand, o, classifier, rules)? {
                if best.as_ref().is_none_or(|b| conf > b.1) {
                    best = Some((text, conf, o));
                }
            }
        }
        let row = (cand.y0 + cand.y1 - 1) as f64 / 2.0;
        let col = (cand.x0 + cand.x1 - 1) as f64 / 2.0;
        let bbox = [cand.x0, cand.y0, cand.x1, cand.y1];
        match best {
            Some((text, confidence, orientation)) if confidence >= MIN_READING_CONFIDENCE => {
                let value = text.parse::<f64>().unwrap_or(f64::NAN);
                out.push(Reading { value, text, orientation: Some(orientation), row, col, bbox, confidence });
            }
            // found, not read: the fit may still place it by its neighbours
            _ => out.push(Reading {
                value: f64::NAN,
                text: String::new(),
                orientation: None,
                row,
                col,
                bbox,
                confidence: 0.0,
            }),
        }
    }
    Ok(out)
}
