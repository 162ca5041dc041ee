//! `veer::layout` on rendered prints with known geometry: 1-3 tracks, linear 10-division and
//! 4-decade log grids, depth lines every N rows with every 5th medium and every 10th heavy,
//! 100-300 dpi, 1-bit and noisy gray, rotated by 0, 0.5 and 1 degree, with a curve and depth
//! numbers drawn, two with a black scan border beside the first track, two that wobbled
//! through the scanner (followed by the edges' measured points). Each print must give its tracks' edges within 3 px along the whole log,
//! the right grid kind, the depth-line spacing and the skew within 0.05 degrees.

use veer::decode::GrayImage;
use veer::layout::{self, Finding, GridKind, Layout};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Linear(usize),
    Log(usize),
}

#[derive(Clone, Copy, Debug)]
struct TrackSpec {
    left: f64,
    width: f64,
    kind: Kind,
}

struct Print {
    name: String,
    width: usize,
    height: usize,
    tracks: Vec<TrackSpec>,
    /// Rows from one depth line to the next (unrotated).
    spacing: f64,
    /// Rotation, degrees (counter-clockwise on screen for a positive angle).
    angle: f64,
    gray: bool,
    /// A black scan border (the scanner's, not the print's: it does not turn with the print)
    /// along columns 8-38 of a 200-dpi layout, as on stuckey-1.
    border: bool,
    /// Where the border ends, in columns of a 200-dpi layout (38; beyond the first track's left
    /// edge, the edge is hidden in it, as on stuckey-1).
    border_right: f64,
    /// A print that wobbled through the scanner: its content shifted sideways by this many
    /// pixels times `sin(2 pi row / height)` (0.9 degree at the steepest, as stuckey-1 turns).
    wobble: f64,
    /// Pixels per unit of a 200-dpi layout.
    k: f64,
    /// Half the width of the tracks' edges, in units of a 200-dpi layout (a track's midline
    /// and a log track's decades are 1, its other lines 0.5); kinney-heinen-1-4's edges are
    /// heavier than its midlines, and two tracks sharing an edge are told apart by it.
    edge_half: f64,
}

impl Print {
    fn top(&self) -> f64 {
        300.0 * self.k
    }
    fn bottom(&self) -> f64 {
        self.height as f64 - 300.0 * self.k
    }
    /// The wobble's sideways shift at unrotated row `v`.
    fn wob(&self, v: f64) -> f64 {
        self.wobble * (std::f64::consts::TAU * v / self.height as f64).sin()
    }
    /// Truth: the scan column of unrotated column `u` at scan row `y` (wobble cases are upright).
    fn x_of(&self, u: f64, y: f64) -> f64 {
        let (cx, cy) = (self.width as f64 / 2.0, self.height as f64 / 2.0);
        let t = self.angle.to_radians();
        cx + (u + self.wob(y) - cx - (y - cy) * t.sin()) / t.cos()
    }
}

/// How heavy a vertical line is drawn.
#[derive(Clone, Copy, PartialEq)]
enum Line {
    Light,
    /// A linear track's midline, a log track's decade.
    Major,
    Edge,
}

fn grid_lines(t: &TrackSpec) -> Vec<(f64, Line)> {
    let edge_or = |at_edge: bool, other: Line| if at_edge { Line::Edge } else { other };
    match t.kind {
        Kind::Linear(n) => (0..=n)
            .map(|i| {
                let line = edge_or(i == 0 || i == n, if 2 * i == n { Line::Major } else { Line::Light });
                (t.left + t.width * i as f64 / n as f64, line)
            })
            .collect(),
        Kind::Log(d) => {
            let mut v = Vec::new();
            for e in 0..d {
                for m in 1..=9 {
                    let line = edge_or(e == 0 && m == 1, if m == 1 { Line::Major } else { Line::Light });
                    v.push((t.left + t.width * ((m as f64).log10() + e as f64) / d as f64, line));
                }
            }
            v.push((t.left + t.width, Line::Edge));
            v
        }
    }
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn render(p: &Print) -> GrayImage {
    let (w, h) = (p.width, p.height);
    let res = 4.0; // table cells per pixel
    let k = p.k;
    // Vertical lines by unrotated column, horizontal by unrotated row.
    let mut vmask = vec![false; (w as f64 * res) as usize + 8];
    for t in &p.tracks {
        for (u, line) in grid_lines(t) {
            let half = match line {
                Line::Light => 0.5 * k,
                Line::Major => 1.0 * k,
                Line::Edge => p.edge_half * k,
            }
            .max(0.5);
            let (a, b) = (((u - half) * res).round() as isize, ((u + half) * res).round() as isize);
            for i in a.max(0)..b.min(vmask.len() as isize) {
                vmask[i as usize] = true;
            }
        }
    }
    let mut hmask = vec![false; (h as f64 * res) as usize + 8];
    let mut i = 0usize;
    loop {
        let v = p.top() + i as f64 * p.spacing;
        if v > p.bottom() {
            break;
        }
        let thick = if i.is_multiple_of(10) {
            3.0
        } else if i.is_multiple_of(5) {
            2.0
        } else {
            1.0
        } * k;
        let thick = thick / k * k.max(1.0);
        let (a, b) = (((v - thick / 2.0) * res).round() as isize, ((v + thick / 2.0) * res).round() as isize);
        for j in a.max(0)..b.min(hmask.len() as isize) {
            hmask[j as usize] = true;
        }
        i += 1;
    }
    let inside = |u: f64| p.tracks.iter().any(|t| u >= t.left && u <= t.left + t.width);
    let t0 = p.tracks[0];
    let depth_col = p.tracks.get(1).map(|t1| (t0.left + t0.width, t1.left));
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (s, c) = p.angle.to_radians().sin_cos();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w * 31 + h) as u64);
    let mut data = vec![255u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let v = cy - dx * s + dy * c;
            let u = cx + dx * c + dy * s - p.wob(v);
            let mut ink = false;
            if v >= p.top() && v <= p.bottom() && u >= 0.0 {
                let iu = (u * res) as usize;
                let iv = (v * res) as usize;
                let vertical = iu < vmask.len() && vmask[iu];
                let horizontal = iv < hmask.len() && hmask[iv] && inside(u);
                ink = vertical || horizontal;
                // A curve in the first track.
                let cu = t0.left + t0.width * (0.5 + 0.3 * (v / (150.0 * k)).sin() + 0.12 * (v / (37.0 * k)).sin());
                if (u - cu).abs() <= 1.5 * k {
                    ink = true;
                }
                // Depth numbers: blocks of "digits" in the depth column every 10 lines.
                if let Some((a, b)) = depth_col {
                    let m = (a + b) / 2.0;
                    let period = 10.0 * p.spacing;
                    let dv = (v - p.top()).rem_euclid(period);
                    if (u - m).abs() < 22.0 * k && dv > 6.0 * k && dv < 22.0 * k {
                        let cell = ((u - m + 22.0 * k) / (11.0 * k)) as i64;
                        let fu = (u - m + 22.0 * k) % (11.0 * k);
                        ink |= fu < 1.5 * k
                            || fu > 8.0 * k
                            || dv < 8.0 * k
                            || dv > 20.0 * k
                            || (cell % 2 == 0 && dv > 13.0 * k && dv < 15.0 * k);
                    }
                }
            }
            if p.border && (x as f64) >= 8.0 * k && (x as f64) < p.border_right * k {
                ink = true;
            }
            data[y * w + x] = if p.gray {
                let base = if ink { 60.0 } else { 225.0 };
                let noise = (rng.next() + rng.next() + rng.next() - 1.5) * 60.0;
                (base + noise).clamp(0.0, 255.0) as u8
            } else if ink {
                0
            } else {
                255
            };
        }
    }
    GrayImage { width: w as u32, height: h as u32, data }
}

/// A layout: its name, its tracks (in 200-dpi columns) and its edges' half width.
type LayoutSpec = (&'static str, Vec<TrackSpec>, f64);
/// A print of layout `.0`: (layout, dpi, angle, gray, border, wobble).
type Case = (usize, f64, f64, bool, bool, f64);

fn prints() -> Vec<Print> {
    let layouts: Vec<LayoutSpec> = vec![
        ("1 track", vec![TrackSpec { left: 100.0, width: 500.0, kind: Kind::Linear(10) }], 1.0),
        (
            "2 tracks",
            vec![
                TrackSpec { left: 60.0, width: 500.0, kind: Kind::Linear(10) },
                TrackSpec { left: 710.0, width: 500.0, kind: Kind::Log(4) },
            ],
            1.0,
        ),
        (
            "3 tracks",
            vec![
                TrackSpec { left: 60.0, width: 500.0, kind: Kind::Linear(10) },
                TrackSpec { left: 710.0, width: 500.0, kind: Kind::Log(4) },
                TrackSpec { left: 1250.0, width: 400.0, kind: Kind::Linear(10) },
            ],
            1.0,
        ),
    ];
    let cases = [
        // (layout, dpi, angle, gray, border, wobble)
        (0, 200.0, 0.0, false, false, 0.0),
        (0, 100.0, 1.0, true, false, 0.0),
        (0, 300.0, 1.0, true, true, 0.0),
        (1, 200.0, 0.5, false, false, 0.0),
        (1, 300.0, 1.0, false, false, 0.0),
        (1, 200.0, 1.0, true, false, 0.0),
        (1, 100.0, 0.0, false, false, 0.0),
        (1, 200.0, 0.5, false, true, 0.0),
        (1, 300.0, 0.0, true, false, 15.0),
        (2, 200.0, 0.0, true, false, 0.0),
        (2, 200.0, -0.5, false, false, 0.0),
        (2, 150.0, 1.0, false, false, 0.0),
        (2, 200.0, 0.0, false, true, 15.0),
    ];
    build(&layouts, &cases)
}

/// Prints of two tracks side by side sharing an edge, right of a depth column: a linear track
/// next to a log one (the full-size render's tracks 2 and 3; here with edges as heavy as the
/// linear track's midline and the log track's decades, so only the change of grid tells them
/// apart), and two linear tracks with a shared edge heavier than their midlines
/// (kinney-heinen-1-4's tracks 2 and 3: 3-px edges, 2-px midlines, 1-px grid); and a wide
/// 20-division track whose midline is as heavy as its edges, which stays one track.
fn shared_edge_prints() -> Vec<Print> {
    let lin = |left: f64| TrackSpec { left, width: 500.0, kind: Kind::Linear(10) };
    let layouts: Vec<LayoutSpec> = vec![
        (
            "linear next to log",
            vec![lin(60.0), lin(710.0), TrackSpec { left: 1210.0, width: 500.0, kind: Kind::Log(4) }],
            1.0,
        ),
        ("linear next to linear, heavier shared edge", vec![lin(60.0), lin(710.0), lin(1210.0)], 1.5),
        (
            "wide 20-division track",
            vec![lin(60.0), TrackSpec { left: 710.0, width: 1000.0, kind: Kind::Linear(20) }],
            1.0,
        ),
    ];
    let cases = [
        (0, 200.0, 0.5, false, false, 0.0),
        (0, 300.0, 0.0, true, false, 0.0),
        (1, 200.0, 0.0, false, false, 0.0),
        // At 150 dpi the midline (1.5 px) is drawn no heavier than the 1-px grid once turned,
        // and the two tracks are taken for one: the rule needs a midline heavier than the grid.
        (1, 300.0, 1.0, true, false, 0.0),
        (2, 200.0, 0.0, false, false, 0.0),
        (2, 200.0, 1.0, true, false, 0.0),
    ];
    build(&layouts, &cases)
}

fn build(layouts: &[LayoutSpec], cases: &[Case]) -> Vec<Print> {
    let mut out = Vec::new();
    for &(li, dpi, angle, gray, border, wobble) in cases {
        let k: f64 = dpi / 200.0;
        let (name, tracks, edge_half) = &layouts[li];
        let right = tracks.iter().map(|t| t.left + t.width).fold(0.0, f64::max);
        let tracks: Vec<TrackSpec> =
            tracks.iter().map(|t| TrackSpec { left: t.left * k, width: t.width * k, kind: t.kind }).collect();
        out.push(Print {
            name: format!(
                "{name}, {dpi} dpi, {angle} deg, {}{}{}",
                if gray { "gray noisy" } else { "1-bit" },
                if border { ", scan border" } else { "" },
                if wobble > 0.0 { ", wobbling" } else { "" }
            ),
            width: ((right + 80.0) * k) as usize,
            height: (6000.0 * k) as usize,
            tracks,
            spacing: 20.0 * k,
            angle,
            gray,
            border,
            border_right: 38.0,
            wobble: wobble * k,
            k,
            edge_half: *edge_half,
        });
    }
    out
}

/// What is wrong with the layout found for a print (empty: nothing).
fn check(p: &Print, l: &Layout) -> Vec<String> {
    let mut bad = Vec::new();
    let Finding::Found(tracks) = &l.tracks else {
        return vec![format!("no tracks: {:?}", l.tracks)];
    };
    if tracks.len() != p.tracks.len() {
        bad.push(format!(
            "{} tracks found, {} drawn: {:?}",
            tracks.len(),
            p.tracks.len(),
            tracks.iter().map(|t| t.lines.first()).collect::<Vec<_>>()
        ));
        return bad;
    }
    // Rows where the whole track is inside the drawn log, whatever the rotation.
    let margin = p.width as f64 * p.angle.to_radians().sin().abs() + 10.0;
    let rows: Vec<f64> =
        (0..=20).map(|i| p.top() + margin + (p.bottom() - p.top() - 2.0 * margin) * f64::from(i) / 20.0).collect();
    for (i, (t, s)) in tracks.iter().zip(&p.tracks).enumerate() {
        for (edge, u) in [(&t.left, s.left), (&t.right, s.left + s.width)] {
            // A wobbling print is followed by the measured points, not by the straight line.
            let x = |y: f64| if p.wobble > 0.0 { edge.x_along(y) } else { edge.x_at(y) };
            let (worst, at) =
                rows.iter()
                    .map(|&y| ((x(y) - p.x_of(u, y)).abs(), y))
                    .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
            if worst > 3.0 {
                bad.push(format!("track {i}: edge at {u:.0} is off by up to {worst:.1} px (row {at:.0})"));
            }
        }
        let want = match s.kind {
            Kind::Linear(n) => GridKind::Linear { divisions: n },
            Kind::Log(d) => GridKind::Log { decades: d, start_mantissa: 1 },
        };
        match &t.grid {
            Finding::Found(g) if g.kind == want => {}
            other => bad.push(format!("track {i}: grid {other:?}, drawn {want:?}")),
        }
    }
    match &l.depth_lines {
        Finding::Found(d) => {
            let want = p.spacing / p.angle.to_radians().cos();
            if (d.spacing - want).abs() > 0.02 * want {
                bad.push(format!("depth-line spacing {:.2}, drawn {want:.2}", d.spacing));
            }
            let drawn = ((p.bottom() - p.top()) / p.spacing).floor() as usize + 1;
            match d.sections.as_slice() {
                [one] if (one.spacing - want).abs() <= 0.02 * want && one.count * 10 >= drawn * 9 => {}
                other => bad.push(format!("sections {other:?}; drawn one of {drawn} lines every {want:.2} rows")),
            }
            if d.medium_every != Some(5) || d.heavy_every != Some(10) {
                bad.push(format!(
                    "weights: medium every {:?}, heavy every {:?}; drawn 5 and 10",
                    d.medium_every, d.heavy_every
                ));
            }
        }
        Finding::Absent(why) => bad.push(format!("no depth lines: {why}")),
    }
    match &l.skew {
        // A wobbling print has no one angle: its straight lines average the turns.
        Finding::Found(_) if p.wobble > 0.0 => {}
        Finding::Found(s) if (s.degrees + p.angle).abs() <= 0.05 => {}
        other => bad.push(format!("skew {other:?}, drawn {} (found should be {})", p.angle, -p.angle)),
    }
    if p.tracks.len() > 1 {
        match &l.depth_column {
            Finding::Found(c) if c.between == [0, 1] => {}
            other => bad.push(format!("depth column {other:?}, drawn between tracks 0 and 1")),
        }
    }
    bad
}

#[test]
fn rendered_prints_give_their_geometry() {
    check_all(prints());
}

/// Two tracks sharing an edge are two tracks; a wide track is one.
#[test]
fn tracks_sharing_an_edge_are_told_apart() {
    check_all(shared_edge_prints());
}

fn check_all(prints: Vec<Print>) {
    let mut failed = Vec::new();
    for p in prints {
        let img = render(&p);
        let t = std::time::Instant::now();
        let l = layout::find(&img).expect("layout");
        let bad = check(&p, &l);
        eprintln!(
            "{} ({} x {}): {} in {:.2} s",
            p.name,
            p.width,
            p.height,
            if bad.is_empty() { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        for b in &bad {
            eprintln!("  {b}");
        }
        if !bad.is_empty() && std::env::var_os("VEER_LAYOUT_DEBUG").is_some() {
            if let Finding::Found(t) = &l.tracks {
                for t in t {
                    eprintln!("  lines {:?}", t.lines);
                    let pts: Vec<String> = t
                        .left
                        .points
                        .iter()
                        .map(|q| format!("{:.0}:{:.1}/{:.1}", q[0], q[1], p.x_of(p.tracks[0].left, q[0])))
                        .collect();
                    eprintln!("  left points (found/truth of track 0) {}", pts.join(" "));
                }
            }
        }
        if !bad.is_empty() {
            failed.push(p.name.clone());
        }
    }
    assert!(failed.is_empty(), "{} rendered prints failed: {failed:?}", failed.len());
}

/// A first track whose left edge lies in the scan border (the border runs to column 62 of a
/// 200-dpi layout, over the edge at 60, as stuckey-1's): the depth lines run on from the
/// track's first grid line found to the border, one grid division, and the edge is placed
/// there, said to be inferred; the other edges are found.
#[test]
fn an_edge_hidden_in_a_scan_border_is_placed_from_the_grid() {
    let mut prints: Vec<Print> =
        prints().into_iter().filter(|p| p.angle == 0.0 && p.wobble == 0.0 && p.tracks.len() > 1).collect();
    for p in &mut prints {
        p.border = true;
        p.border_right = 62.0;
        p.name = format!("{}, left edge in the scan border", p.name);
    }
    assert!(prints.len() >= 2);
    let names: Vec<String> = prints.iter().map(|p| p.name.clone()).collect();
    let images: Vec<GrayImage> = prints.iter().map(render).collect();
    check_all(prints);
    for (name, img) in names.iter().zip(&images) {
        let l = layout::find(img).expect("layout");
        let Finding::Found(t) = &l.tracks else { panic!("{name}: no tracks") };
        assert!(t[0].left.inferred.is_some(), "{name}: the left edge is not said to be inferred");
        assert!(t.iter().skip(1).all(|t| t.left.inferred.is_none() && t.right.inferred.is_none()), "{name}");
        assert!(t[0].right.inferred.is_none(), "{name}");
    }
}

#[test]
fn blank_and_tiny_scans_say_what_is_absent() {
    let blank = GrayImage { width: 600, height: 2000, data: vec![255; 600 * 2000] };
    let l = layout::find(&blank).expect("a blank scan is not an error");
    match &l.tracks {
        Finding::Absent(why) => assert!(why.contains("vertical line"), "{why}"),
        Finding::Found(_) => panic!("tracks on a blank scan"),
    }
    assert!(matches!(l.depth_lines, Finding::Absent(_)));
    assert!(matches!(l.depth_column, Finding::Absent(_)));
    let tiny = GrayImage { width: 1, height: 1, data: vec![0] };
    assert!(layout::find(&tiny).is_ok());
    let broken = GrayImage { width: 10, height: 10, data: vec![0; 5] };
    assert_eq!(layout::find(&broken).map_err(|e| e.kind()), Err("bad_input"));
}

#[test]
fn a_layout_becomes_a_project() {
    let p = &prints()[3];
    let l = layout::find(&render(p)).expect("layout");
    let input = layout::ProjectInput {
        depth: vec![[1000.0, 100.0], [5000.0, 300.0]],
        depth_unit: Some("FT".into()),
        curves: vec![
            layout::CurveInput {
                track: 0,
                to_track: None,
                scale: [0.0, 150.0],
                mnemonic: "GR".into(),
                unit: "GAPI".into(),
                log: None,
                seed: None,
            },
            layout::CurveInput {
                track: 1,
                to_track: None,
                scale: [0.2, 2000.0],
                mnemonic: "ILD".into(),
                unit: "OHMM".into(),
                log: None,
                seed: None,
            },
        ],
    };
    let project = layout::to_project(&l, &input).expect("project");
    assert!(!project.curves[0].log);
    assert!(project.curves[1].log, "a log grid makes a log curve");
    let row = 3000.0;
    assert!((project.curves[0].track[0] - p.x_of(p.tracks[0].left, row)).abs() <= 3.0, "{:?}", project.curves[0].track);
    // The JSON round-trips through the project reader.
    assert_eq!(veer::project::Project::from_json(&project.to_json()).expect("reads"), project);
    let json = serde_json::to_string(&l).expect("serialises");
    assert_eq!(serde_json::from_str::<Layout>(&json).expect("reads back"), l);
    // A scale across tracks 0 and 1: track 0's left edge to track 1's right edge.
    let across = layout::ProjectInput {
        curves: vec![layout::CurveInput { to_track: Some(1), ..input.curves[0].clone() }],
        ..input.clone()
    };
    let wide = layout::to_project(&l, &across).expect("project across two tracks");
    assert_eq!(wide.curves[0].track, [project.curves[0].track[0], project.curves[1].track[1]]);
    for to_track in [Some(7), Some(usize::MAX)] {
        let bad = layout::ProjectInput {
            curves: vec![layout::CurveInput { track: 1, to_track, ..input.curves[0].clone() }],
            ..input.clone()
        };
        assert_eq!(layout::to_project(&l, &bad).map_err(|e| e.kind()), Err("bad_parameter"), "{to_track:?}");
    }
    let backwards = layout::ProjectInput {
        curves: vec![layout::CurveInput { track: 1, to_track: Some(0), ..input.curves[0].clone() }],
        ..input.clone()
    };
    assert_eq!(layout::to_project(&l, &backwards).map_err(|e| e.kind()), Err("bad_parameter"));
    let bad =
        layout::ProjectInput { curves: vec![layout::CurveInput { track: 7, ..input.curves[0].clone() }], ..input };
    assert_eq!(layout::to_project(&l, &bad).map_err(|e| e.kind()), Err("bad_parameter"));
}

/// The rendered case `gr-linear-png` (tests/cases, a linear 10-division track, the depth
/// column, a 4-decade log track): its depth column carries the depth lines' ticks from both
/// sides (a fifth to a tenth of its width each, heavier than the tracks' light lines on this
/// 150-dpi print) and must not be taken for a division of the track beside it. Its scored
/// track's edges are in `case.json`; the log track's are the renderer's spec
/// (`scripts/train/render.py`, `make_spec` for the case: tracks 17-392 and 475-775, depth
/// column 392-475).
#[test]
fn gr_linear_png_depth_column_is_not_a_track() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases/gr-linear-png");
    let bytes = std::fs::read(dir.join("scan.png")).expect("scan.png");
    let case = veer::calibrate::Calibration::from_json(&std::fs::read_to_string(dir.join("case.json")).expect("case"))
        .expect("case.json");
    let truth = [case.track, [475.0, 775.0]];
    let l = layout::find_bytes(&bytes, &veer::limits::Limits::default()).expect("layout");
    let Finding::Found(tracks) = &l.tracks else { panic!("no tracks: {:?}", l.tracks) };
    let found: Vec<[f64; 2]> = tracks.iter().map(|t| [t.left.x_at(1200.0), t.right.x_at(1200.0)]).collect();
    assert_eq!(found.len(), truth.len(), "tracks found {found:?}, drawn {truth:?}");
    for (f, t) in found.iter().zip(&truth) {
        assert!((f[0] - t[0]).abs() <= 3.0 && (f[1] - t[1]).abs() <= 3.0, "tracks found {found:?}, drawn {truth:?}");
    }
    match &l.depth_column {
        Finding::Found(c) => {
            assert_eq!(c.between, [0, 1]);
            assert!((c.left.x_at(1200.0) - 392.0).abs() <= 3.0 && (c.right.x_at(1200.0) - 475.0).abs() <= 3.0, "{c:?}");
        }
        Finding::Absent(why) => panic!("no depth column: {why}"),
    }
}
