//! A [`Calibration`] from its text form: the CLI's flags (`--track 17:392`) and the
//! HTTP query string (`track=17:392`) take the same values, parsed here once so
//! both entry points accept the same input and explain a mistake the same way.
//!
//! | text | example | meaning |
//! |---|---|---|
//! | `track` | `17:392` | pixel columns of the track's left and right edges |
//! | `scale` | `0:150` | values at those edges (left may exceed right) |
//! | `log` | `1` | logarithmic value axis (query: `1`/`true`/empty = on, `0`/`false` = off) |
//! | `depth` | `75=5010,2250=5300` | two or more tie points `ROW=DEPTH` |
//! | `seed` | `310,2200` | a pixel `X,Y` on the wanted curve |
//! | `step` | `0.5` | output depth step |
//! | `mnemonic`, `unit`, `depth_unit` | `GR`, `GAPI`, `FT` | names for LAS and JSON |
//! | `backup` | `150:300,300:450` | backup (wrap-around) scales, in order ([`parse_backup`]) |

use crate::calibrate::Calibration;
use crate::error::{Error, Result};
use crate::project::Project;

/// How a parameter is written where the user typed it, so messages quote it back
/// in the same form: `--track 120:480` on the command line, `track=120:480` in a URL,
/// `120:480` in a field of the page's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Cli,
    Query,
    /// A labelled field of a form (the page): the value alone.
    Field,
}

impl Style {
    fn name(self, key: &str) -> String {
        match self {
            Style::Cli => format!("--{}", key.replace('_', "-")),
            Style::Query => key.to_string(),
            Style::Field => key.replace('_', " "),
        }
    }
    fn example(self, key: &str, value: &str) -> String {
        match self {
            Style::Cli => format!("--{} {value}", key.replace('_', "-")),
            Style::Query => format!("{key}={value}"),
            Style::Field => value.to_string(),
        }
    }
}

/// The calibration as text, before parsing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalibrationText {
    pub track: String,
    pub scale: String,
    pub log: bool,
    pub depth: String,
    pub seed: Option<String>,
    pub step: Option<String>,
    pub mnemonic: Option<String>,
    pub unit: Option<String>,
    pub depth_unit: Option<String>,
    /// Backup (wrap-around) scales, `LEFT:RIGHT[,LEFT:RIGHT]` (a gamma ray 0-150 that wraps
    /// onto 150-300: `150:300`).
    pub backup: Option<String>,
}

/// Query-string keys [`CalibrationText::from_query`] accepts.
pub const QUERY_KEYS: &[&str] =
    &["track", "scale", "log", "depth", "seed", "step", "mnemonic", "unit", "depth_unit", "backup"];

impl CalibrationText {
    /// Parse and validate: the calibration, or [`Error::BadParameter`] naming the
    /// parameter, the value and an example of the right form.
    pub fn parse(&self, style: Style) -> Result<Calibration> {
        let seed = match &self.seed {
            Some(s) => {
                let (x, y) = s.split_once(',').ok_or_else(|| {
                    Error::bad_parameter(format!(
                        "{} {s:?} needs X,Y pixel coordinates, e.g. {}",
                        style.name("seed"),
                        style.example("seed", "310,2200")
                    ))
                })?;
                Some([number(x, "seed", "310,2200", style)?, number(y, "seed", "310,2200", style)?])
            }
            None => None,
        };
        let step = match &self.step {
            Some(s) => Some(number(s, "step", "0.5", style)?),
            None => None,
        };
        let backup = match &self.backup {
            Some(b) => parse_backup(b, style)?,
            None => Vec::new(),
        };
        let cal = Calibration {
            track: pair(&self.track, "track", "120:480", style)?,
            scale: pair(&self.scale, "scale", "0:150", style)?,
            log: self.log,
            depth: parse_depth(&self.depth, style)?,
            seed,
            backup,
            step,
            mnemonic: self.mnemonic.clone(),
            unit: self.unit.clone(),
            depth_unit: self.depth_unit.clone(),
        };
        cal.validate()?;
        Ok(cal)
    }

    /// Read the parameters from a URL query string (`track=17:392&scale=0:150&depth=75=5010,2250=5300`),
    /// percent-decoded (`+` is a space). Unknown and repeated keys are refused, so a typo
    /// is reported rather than silently ignored.
    pub fn from_query(query: &str) -> Result<Self> {
        let mut text = CalibrationText::default();
        let mut seen: Vec<String> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = percent_decode(k)?;
            let value = percent_decode(v)?;
            if !QUERY_KEYS.contains(&key.as_str()) {
                return Err(Error::bad_parameter(format!(
                    "unknown query parameter {key:?}; use {} (e.g. ?track=120:480&scale=0:150&depth=75=5010,2250=5300)",
                    QUERY_KEYS.join(", ")
                )));
            }
            if seen.contains(&key) {
                return Err(Error::bad_parameter(format!("query parameter {key:?} is given twice; give it once")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "track" => text.track = value,
                "scale" => text.scale = value,
                "depth" => text.depth = value,
                "log" => {
                    text.log = match value.trim().to_ascii_lowercase().as_str() {
                        "" | "1" | "true" | "yes" | "on" => true,
                        "0" | "false" | "no" | "off" => false,
                        other => {
                            return Err(Error::bad_parameter(format!(
                                "log={other:?} is not a switch; use log=1 for a logarithmic scale, or leave it out"
                            )))
                        }
                    }
                }
                "seed" => text.seed = Some(value),
                "step" => text.step = Some(value),
                "mnemonic" => text.mnemonic = Some(value),
                "unit" => text.unit = Some(value),
                "backup" => text.backup = Some(value),
                _ => text.depth_unit = Some(value),
            }
        }
        for (key, example, what) in [
            ("track", "120:480", "the pixel columns of the track's left and right edges"),
            ("scale", "0:150", "the values at the track's left and right edges"),
            ("depth", "75=5010,2250=5300", "two or more ROW=DEPTH tie points"),
        ] {
            if !seen.iter().any(|k| k == key) {
                return Err(Error::bad_parameter(format!(
                    "the query string lacks {key}: add {key}={example} ({what})"
                )));
            }
        }
        Ok(text)
    }
}

fn number(s: &str, key: &str, example: &str, style: Style) -> Result<f64> {
    s.trim().parse().map_err(|_| {
        Error::bad_parameter(format!(
            "{}: {s:?} is not a number; use e.g. {}",
            style.name(key),
            style.example(key, example)
        ))
    })
}

fn pair(s: &str, key: &str, example: &str, style: Style) -> Result<[f64; 2]> {
    let (a, b) = s.split_once(':').ok_or_else(|| {
        Error::bad_parameter(format!(
            "{} {s:?} needs two numbers A:B, e.g. {}",
            style.name(key),
            style.example(key, example)
        ))
    })?;
    Ok([number(a, key, example, style)?, number(b, key, example, style)?])
}

/// Backup (wrap-around) scales from their text form, `LEFT:RIGHT[,LEFT:RIGHT]` (`--backup`,
/// `backup=`, the page's field): `150:300` for a gamma ray 0-150 that wraps onto 150-300;
/// blank text is none. Checked further by [`crate::calibrate::check_backup`] (and so by
/// [`Calibration::validate`]).
///
/// Errors: [`Error::BadParameter`] quoting the part that is not `A:B` numbers, in `style`.
pub fn parse_backup(s: &str, style: Style) -> Result<Vec<[f64; 2]>> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(|p| pair(p, "backup", "150:300", style)).collect()
}

/// Depth tie points from their text form, `ROW=DEPTH,...` (`--depth`, `depth=`); checked
/// further by [`Calibration::validate`].
pub fn parse_depth(s: &str, style: Style) -> Result<Vec<[f64; 2]>> {
    let example = style.example("depth", "120=1500,11800=1800");
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (r, d) = p.split_once('=').ok_or_else(|| {
                Error::bad_parameter(format!("{} {p:?} is not ROW=DEPTH; use e.g. {example}", style.name("depth")))
            })?;
            let r: f64 = r.trim().parse().map_err(|_| {
                Error::bad_parameter(format!("{}: row {r:?} is not a number; use e.g. {example}", style.name("depth")))
            })?;
            let d: f64 = d.trim().parse().map_err(|_| {
                Error::bad_parameter(format!(
                    "{}: depth {d:?} is not a number; use e.g. {example}",
                    style.name("depth")
                ))
            })?;
            Ok([r, d])
        })
        .collect()
}

/// Percent-decode one query component (`+` is a space); the result must be UTF-8.
/// The key of a query string that carries a whole project as JSON.
pub const PROJECT_QUERY_KEY: &str = "project";

/// A project from a URL query string: `project=<JSON, percent-encoded>` alone, or the
/// single-curve keys of [`CalibrationText::from_query`] (a project of one curve). Not
/// validated beyond what parsing needs: call [`Project::validate_for_image`].
pub fn project_from_query(query: &str) -> Result<Project> {
    let parts: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let is_project = |p: &&str| p.split_once('=').map_or(*p, |(k, _)| k) == PROJECT_QUERY_KEY;
    if !parts.iter().any(is_project) {
        let calibration = CalibrationText::from_query(query)?.parse(Style::Query)?;
        return Ok(Project::from_calibration(&calibration));
    }
    if parts.len() > 1 {
        return Err(Error::bad_parameter(format!(
            "the query string has {PROJECT_QUERY_KEY}= with other parameters; put everything in the project, \
             or leave {PROJECT_QUERY_KEY}= out and give track=, scale= and depth="
        )));
    }
    let value = parts[0].split_once('=').map_or("", |(_, v)| v);
    Project::from_json(&percent_decode(value)?)
}

/// The query string that carries `project` (`project=<JSON>`, percent-encoded): what
/// the page and `veer batch --cloud` send to the cloud fallback, read back by
/// [`project_from_query`]. Hand-edited paths are left out (the cloud traces).
pub fn project_to_query(project: &Project) -> String {
    format!("{PROJECT_QUERY_KEY}={}", percent_encode(&project.settings_json()))
}

/// Percent-encodes everything but the characters `encodeURIComponent` leaves alone.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let v = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| {
                    Error::bad_parameter(format!(
                        "the query string has a broken escape near {:?}; encode values with encodeURIComponent",
                        &s[i..(i + 3).min(s.len())]
                    ))
                })?;
                out.push(v);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Error::bad_parameter("the query string is not UTF-8 after decoding; encode values with encodeURIComponent")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_travels_in_a_query_string() {
        let json = r#"{"version":1,"depth":[[75,5010],[2250,5300]],"depth_unit":"FT","interval":[10,2000],"well":{"WELL":"A & B 1/2"},"curves":[{"mnemonic":"GR","unit":"GAPI","track":[17,392],"scale":[0,150],"edited":{"rows_per_track_row":1.5,"path":[[20,30],[21,31]]}},{"mnemonic":"SP","unit":"MV","track":[17,392],"scale":[-20,80],"seed":[300,500]}]}"#;
        let project = Project::from_json(json).expect("valid project");
        let query = project_to_query(&project);
        assert!(
            query.starts_with("project=%7B%22version%22%3A1") && !query.contains('&') && !query.contains(' '),
            "{query}"
        );
        let back = project_from_query(&query).expect("reads back");
        let mut without_edits = project.clone();
        without_edits.curves[0].edited = None;
        assert_eq!(back, without_edits);
        // The single-curve form still reads, as a project of one curve with its names.
        let one =
            project_from_query("track=17:392&scale=0:150&depth=75=5010,2250=5300&mnemonic=GR&unit=GAPI&depth_unit=FT")
                .expect("calibration");
        assert_eq!(
            (one.curves.len(), one.curves[0].mnemonic.as_str(), one.depth_unit.as_deref()),
            (1, "GR", Some("FT"))
        );
        let mixed = project_from_query(&format!("{query}&track=1:2")).expect_err("mixed");
        assert!(mixed.to_string().contains("other parameters"), "{mixed}");
    }

    const GR: &str = "track=17:392&scale=0:150&depth=75=5010,2250=5300&step=0.5";

    #[test]
    fn query_and_cli_give_the_same_calibration() {
        let q = CalibrationText::from_query(GR).and_then(|t| t.parse(Style::Query));
        let cli = CalibrationText {
            track: "17:392".into(),
            scale: "0:150".into(),
            depth: "75=5010,2250=5300".into(),
            step: Some("0.5".into()),
            ..Default::default()
        }
        .parse(Style::Cli);
        assert_eq!(q, cli);
        let cal = q.expect("valid");
        assert_eq!(cal.track, [17.0, 392.0]);
        assert_eq!(cal.depth, vec![[75.0, 5010.0], [2250.0, 5300.0]]);
        assert_eq!(cal.step, Some(0.5));
        assert!(!cal.log);
    }

    #[test]
    fn backup_scales_parse_in_both_styles() {
        let q =
            CalibrationText::from_query(&format!("{GR}&backup=150:300,300:450")).and_then(|t| t.parse(Style::Query));
        assert_eq!(q.expect("valid").backup, vec![[150.0, 300.0], [300.0, 450.0]]);
        let cli = CalibrationText {
            track: "17:392".into(),
            scale: "0:150".into(),
            depth: "75=5010,2250=5300".into(),
            backup: Some("150-300".into()),
            ..Default::default()
        };
        let e = cli.parse(Style::Cli).expect_err("a dash is not the form");
        assert!(e.to_string().contains("--backup 150:300"), "{e}");
        let e = CalibrationText::from_query(&format!("{GR}&backup=150:150")).and_then(|t| t.parse(Style::Query));
        assert_eq!(e.expect_err("equal ends").kind(), "bad_parameter");
    }

    #[test]
    fn backup_scales_parse_as_a_field() {
        assert_eq!(
            parse_backup(" 150:300, 300:450 ", Style::Field).expect("valid"),
            vec![[150.0, 300.0], [300.0, 450.0]]
        );
        assert_eq!(parse_backup("  ", Style::Field).expect("blank is none"), Vec::<[f64; 2]>::new());
        let e = parse_backup("150-300", Style::Field).expect_err("a dash is not the form").to_string();
        assert!(e.contains("backup \"150-300\" needs two numbers A:B, e.g. 150:300"), "{e}");
        let e = parse_backup("150:abc", Style::Field).expect_err("not a number").to_string();
        assert!(e.contains("\"abc\" is not a number; use e.g. 150:300"), "{e}");
        let e = crate::calibrate::check_backup(&[[0.0, 300.0]], true).expect_err("log needs positive").to_string();
        assert!(e.contains("backup scale 0:300 is not valid") && !e.contains("  "), "{e}");
    }

    #[test]
    fn query_decodes_escapes_and_switches() {
        let t = CalibrationText::from_query(
            "track=17%3A392&scale=0.2:2000&log=1&depth=75%3D5010%2C2250%3D5300&seed=81,1000&unit=OHM%2BM",
        )
        .expect("parses");
        assert_eq!(t.track, "17:392");
        assert_eq!(t.depth, "75=5010,2250=5300");
        assert_eq!(t.unit.as_deref(), Some("OHM+M"));
        assert!(t.log);
        let cal = t.parse(Style::Query).expect("valid");
        assert_eq!(cal.seed, Some([81.0, 1000.0]));
        assert!(CalibrationText::from_query(&format!("{GR}&log")).expect("parses").log);
        assert!(!CalibrationText::from_query(&format!("{GR}&log=0")).expect("parses").log);
    }

    #[test]
    fn query_mistakes_are_bad_parameters_that_name_the_fix() {
        for (q, needle) in [
            ("scale=0:150&depth=75=5010,2250=5300", "lacks track"),
            ("track=17:392&depth=75=5010,2250=5300", "lacks scale"),
            ("track=17:392&scale=0:150", "lacks depth"),
            (format!("{GR}&trak=1:2").as_str(), "unknown query parameter \"trak\""),
            (format!("{GR}&track=1:2").as_str(), "given twice"),
            (format!("{GR}&log=maybe").as_str(), "log=1"),
            ("track=17%3&scale=0:150&depth=75=5010,2250=5300", "broken escape"),
            ("track=17%FF:392&scale=0:150&depth=75=5010,2250=5300", "UTF-8"),
        ] {
            let e = CalibrationText::from_query(q).expect_err(q);
            assert_eq!(e.kind(), "bad_parameter", "{q}");
            assert!(e.to_string().contains(needle), "{q}: {e}");
        }
    }

    #[test]
    fn value_mistakes_quote_the_parameter_in_its_own_style() {
        let bad = |track: &str, style| {
            CalibrationText {
                track: track.into(),
                scale: "0:150".into(),
                depth: "75=5010,2250=5300".into(),
                ..Default::default()
            }
            .parse(style)
            .expect_err(track)
            .to_string()
        };
        assert!(bad("a:b", Style::Cli).contains("--track 120:480"));
        assert!(bad("a:b", Style::Query).contains("track=120:480"));
        assert!(bad("17", Style::Query).contains("needs two numbers"));
        assert!(bad("392:17", Style::Query).contains("left edge"));
        let e = CalibrationText::from_query(&format!("{GR}&seed=30"))
            .and_then(|t| t.parse(Style::Query))
            .expect_err("seed");
        assert!(e.to_string().contains("seed=310,2200"), "{e}");
        let e = CalibrationText::from_query("track=17:392&scale=0:150&depth=75:5010,2250=5300")
            .and_then(|t| t.parse(Style::Query))
            .expect_err("depth");
        assert!(e.to_string().contains("ROW=DEPTH"), "{e}");
    }
}
