//! Inputs for `predict`: pictures (PNG, PGM) of any size, brought to the
//! model's 16x16 grey images, IDX image files, and CSV rows.
//!
//! Pictures are turned grey (luma), shrunk or stretched to 16x16 by
//! averaging the covered area, and inverted when their border is bright (a
//! dark digit on white paper; USPS digits are bright on a dark background),
//! unless `--invert` says otherwise. Pixels then enter the model as the
//! model file says (`input_scale`, `input_offset`).

use std::path::Path;

use super::model_error;
use crate::data::{idx, source};
use crate::error::Result;

/// Side of the model's images.
pub const SIDE: usize = 16;

/// Most input values `predict` takes in one run, all its files together:
/// 16 Mi values, 64 MiB as `f32` (the 60 000 MNIST training images, 256
/// values each once brought to 16x16, fit). Checked before each file's
/// rows are stored (on an IDX file's header count), so memory stays
/// bounded by it whatever the files announce.
pub const VALUES_MAX: usize = 16 << 20;

/// Most pixels of a picture decoded: 16 Mi (4096x4096), checked on the
/// picture's header before any pixel is decoded.
pub const PIXELS_MAX: usize = 16 << 20;

/// Largest picture side read.
const PICTURE_MAX: usize = 8192;

/// Said when an input file is missing.
const HINT: &str = "check the path";

/// Whether to invert pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Invert {
    /// Invert when the picture's border is brighter than mid-grey.
    Auto,
    /// Always invert.
    Yes,
    /// Never invert.
    No,
}

/// Input rows, one after the other, and where each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// The file, and the record within it, of each row (`digits.idx#3`, `rows.csv:2`).
    pub sources: Vec<String>,
    /// The rows' values, in the model's input space, row after row.
    pub values: Vec<f32>,
}

impl Rows {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Checks that `rows` more rows of `len` values from `path` stay within
    /// [`VALUES_MAX`], and reserves the room for them.
    fn make_room(&mut self, path: &Path, rows: usize, len: usize) -> Result<()> {
        let more = rows.saturating_mul(len);
        let total = self.values.len().saturating_add(more);
        if total > VALUES_MAX {
            return Err(model_error(
                path,
                format!(
                    "{total} input values with the rows before it, more than the {VALUES_MAX} \
                     predict takes in one run (VALUES_MAX); give the rows in several runs"
                ),
            ));
        }
        let name = path.display().to_string();
        source::reserve(&mut self.values, more, &name)?;
        source::reserve(&mut self.sources, rows, &name)?;
        Ok(())
    }

    /// Adds one row (room for it was made by [`Rows::make_room`]).
    fn push(&mut self, source: String, values: impl IntoIterator<Item = f32>) {
        self.sources.push(source);
        self.values.extend(values);
    }
}

/// How a row enters the model.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// Elements of a row.
    pub len: usize,
    /// `(scale, offset)` of a pixel byte, for image models.
    pub pixels: Option<(f32, f32)>,
    /// Picture inversion.
    pub invert: Invert,
}

/// Reads every row of the files `paths`; each file must give at least one.
///
/// # Errors
/// [`crate::error::Error::Model`] or [`crate::error::Error::Data`] naming
/// the file, the record and the problem; a file that is missing, not a
/// regular file (a folder, a FIFO) or larger than the loaders' caps; more
/// than [`VALUES_MAX`] values in all.
pub fn read_rows(paths: &[impl AsRef<Path>], map: Mapping) -> Result<Rows> {
    let mut rows = Rows::default();
    for path in paths {
        let path = path.as_ref();
        let before = rows.len();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" => csv_rows(path, map, &mut rows)?,
            "png" | "pgm" => {
                let (scale, offset) = image_map(map, path)?;
                let (w, h, grey) = if ext == "png" { read_png(path)? } else { read_pgm(path)? };
                let unit = to_side(grey, w, h, map.invert);
                rows.make_room(path, 1, unit.len())?;
                rows.push(path.display().to_string(), pixels_in(&unit, scale, offset));
            }
            _ => idx_rows(path, map, &mut rows)?,
        }
        if rows.len() == before {
            let what = if ext == "csv" {
                "no input rows (only a header or blank lines)"
            } else {
                "no images"
            };
            return Err(model_error(path, format!("holds {what}")));
        }
    }
    Ok(rows)
}

/// `(scale, offset)` of a pixel byte, when the model takes 16x16 images.
fn image_map(map: Mapping, path: &Path) -> Result<(f32, f32)> {
    let Some(pixels) = map.pixels else {
        return Err(model_error(
            path,
            "the model does not take images: give its input rows as CSV",
        ));
    };
    if map.len != SIDE * SIDE {
        return Err(model_error(
            path,
            format!(
                "the model takes rows of {} values, an image gives {}",
                map.len,
                SIDE * SIDE
            ),
        ));
    }
    Ok(pixels)
}

/// Grey values in `[0, 1]` in the model's input space.
fn pixels_in(unit: &[f32], scale: f32, offset: f32) -> impl Iterator<Item = f32> + '_ {
    unit.iter().map(move |&p| p * 255.0 * scale + offset)
}

/// The images of an IDX file, brought to 16x16.
fn idx_rows(path: &Path, map: Mapping, rows: &mut Rows) -> Result<()> {
    let (scale, offset) = image_map(map, path)?;
    let images = idx::read_images(path)?;
    rows.make_room(path, images.n, map.len)?;
    let name = path.display();
    let size = (images.rows * images.cols).max(1);
    for (i, img) in images.pixels.chunks_exact(size).enumerate() {
        let source = format!("{name}#{i}");
        if images.rows == SIDE && images.cols == SIDE {
            rows.push(source, pixels_in(img, scale, offset));
        } else {
            rows.push(source, pixels_in(&resize(img, images.cols, images.rows), scale, offset));
        }
    }
    Ok(())
}

/// Largest pixel byte a CSV row of an image model may hold.
const PIXEL_BYTE_MAX: f32 = 255.0;

/// CSV rows of numbers: pixel bytes (0-255) for image models, raw values
/// otherwise. The first line is a header when none of its cells is a
/// number (a UTF-8 byte order mark before it is skipped); any other line
/// must be numbers only.
fn csv_rows(path: &Path, map: Mapping, rows: &mut Rows) -> Result<()> {
    let name = source::display_name(path);
    let bytes = source::read_direct(path)?;
    let bytes = source::decompress(&bytes, &name)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .unwrap_or(&[])
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        model_error(path, format!("line {line}: not UTF-8 text"))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let cell_error = |line: usize, column: usize, problem: String| {
        model_error(path, format!("line {line}, column {column}: {problem}"))
    };
    let mut first = true;
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let number = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if std::mem::take(&mut first) && cells.iter().all(|c| c.parse::<f32>().is_err()) {
            continue; // a header line
        }
        let mut values = Vec::with_capacity(cells.len().min(map.len));
        for (j, c) in cells.iter().enumerate() {
            let shown = c.escape_debug();
            let v = c
                .parse::<f32>()
                .map_err(|_| cell_error(number, j + 1, format!("'{shown}' is not a number")))?;
            if !v.is_finite() {
                return Err(cell_error(number, j + 1, format!("'{shown}' is not a finite number")));
            }
            values.push(match map.pixels {
                Some(_) if !(0.0..=PIXEL_BYTE_MAX).contains(&v) => {
                    return Err(cell_error(
                        number,
                        j + 1,
                        format!("{shown} is outside 0-255, the range of a pixel byte"),
                    ));
                }
                Some((scale, offset)) => v * scale + offset,
                None => v,
            });
        }
        if values.len() != map.len {
            return Err(model_error(
                path,
                format!("line {number}: {} values, the model takes {}", values.len(), map.len),
            ));
        }
        rows.make_room(path, 1, map.len)?;
        rows.push(format!("{name}:{number}"), values);
    }
    Ok(())
}

/// A picture as grey values in `[0, 1]`, 16x16, inverted as asked.
fn to_side(mut grey: Vec<f32>, w: usize, h: usize, invert: Invert) -> Vec<f32> {
    let border: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == w || y + 1 == h)
        .filter_map(|(x, y)| grey.get(y * w + x).copied())
        .collect();
    let bright = border.iter().sum::<f32>() / border.len().max(1) as f32 > 0.5;
    let flip = invert == Invert::Yes || (invert == Invert::Auto && bright);
    if flip {
        grey.iter_mut().for_each(|g| *g = 1.0 - *g);
    }
    resize(&grey, w, h)
}

/// Resizes a `w x h` grey picture to 16x16 by averaging the area each output pixel covers.
pub fn resize(img: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; SIDE * SIDE];
    let (sx, sy) = (w as f64 / SIDE as f64, h as f64 / SIDE as f64);
    for (oy, row) in out.chunks_exact_mut(SIDE).enumerate() {
        let (y0, y1) = (oy as f64 * sy, (oy + 1) as f64 * sy);
        for (ox, o) in row.iter_mut().enumerate() {
            let (x0, x1) = (ox as f64 * sx, (ox + 1) as f64 * sx);
            let (mut sum, mut area) = (0.0f64, 0.0f64);
            for y in (y0.floor() as usize)..(y1.ceil() as usize).min(h) {
                let wy = (y1.min(y as f64 + 1.0) - y0.max(y as f64)).max(0.0);
                for x in (x0.floor() as usize)..(x1.ceil() as usize).min(w) {
                    let wx = (x1.min(x as f64 + 1.0) - x0.max(x as f64)).max(0.0);
                    sum += f64::from(img.get(y * w + x).copied().unwrap_or(0.0)) * wx * wy;
                    area += wx * wy;
                }
            }
            *o = if area > 0.0 { (sum / area) as f32 } else { 0.0 };
        }
    }
    out
}

/// Checks a picture's size against [`PICTURE_MAX`] and [`PIXELS_MAX`].
fn picture_size(w: usize, h: usize) -> std::result::Result<(), String> {
    if w == 0 || h == 0 || w > PICTURE_MAX || h > PICTURE_MAX {
        return Err(format!("{w}x{h} pixels (1 to {PICTURE_MAX} a side)"));
    }
    if w * h > PIXELS_MAX {
        return Err(format!(
            "{w}x{h} pixels, more than the {PIXELS_MAX} a picture may have (PIXELS_MAX)"
        ));
    }
    Ok(())
}

/// A PNG as grey values in `[0, 1]`.
fn read_png(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let bad = |e: String| model_error(path, format!("not a readable PNG: {e}"));
    source::check_file(path, HINT)?;
    let file = std::fs::File::open(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    picture_size(w, h).map_err(bad)?;
    let name = source::display_name(path);
    let mut buf = Vec::new();
    source::reserve(&mut buf, reader.output_buffer_size(), &name)?;
    buf.resize(reader.output_buffer_size(), 0);
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(e.to_string()))?;
    let channels = frame.color_type.samples();
    let bytes = buf.get(..frame.buffer_size()).unwrap_or(&[]);
    let mut grey = Vec::new();
    source::reserve(&mut grey, w * h, &name)?;
    grey.extend(bytes.chunks_exact(channels.max(1)).map(|px| match px {
        [g] | [g, _] => f32::from(*g) / 255.0,
        [r, g, b, ..] => (0.299 * f32::from(*r) + 0.587 * f32::from(*g) + 0.114 * f32::from(*b)) / 255.0,
        [] => 0.0,
    }));
    Ok((w, h, grey))
}

/// A PGM (binary `P5` or text `P2`, 8 or 16 bits) as grey values in `[0, 1]`.
fn read_pgm(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let bytes = source::read_direct(path)?;
    let bad = |what: &str| model_error(path, format!("not a readable PGM: {what}"));
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'#') {
            while bytes.get(pos).is_some_and(|&b| b != b'\n') {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
            pos += 1;
        }
        if start == pos {
            return Err(bad("the header ends early"));
        }
        fields.push(String::from_utf8_lossy(bytes.get(start..pos).unwrap_or(&[])).into_owned());
    }
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<usize>().ok());
    let (Some(w), Some(h), Some(max)) = (num(1), num(2), num(3)) else {
        return Err(bad("width, height and maximum must be numbers"));
    };
    if max == 0 || max > 65535 {
        return Err(bad(&format!("{w}x{h} pixels, maximum {max}")));
    }
    picture_size(w, h).map_err(|e| bad(&e))?;
    let body = bytes.get(pos + 1..).unwrap_or(&[]);
    let grey = |v: usize| v.min(max) as f32 / max as f32;
    let mut values = Vec::new();
    source::reserve(&mut values, w * h, &source::display_name(path))?;
    match fields.first().map(String::as_str) {
        Some("P5") if max < 256 => values.extend(body.iter().take(w * h).map(|&b| grey(usize::from(b)))),
        Some("P5") => values.extend(
            body.chunks_exact(2)
                .take(w * h)
                .map(|p| grey(usize::from(u16::from_be_bytes([p[0], p[1]])))),
        ),
        Some("P2") => {
            for t in String::from_utf8_lossy(body).split_ascii_whitespace().take(w * h) {
                let v = t
                    .parse::<usize>()
                    .map_err(|_| bad(&format!("'{}' is not a pixel value", t.escape_debug())))?;
                values.push(grey(v));
            }
        }
        _ => return Err(bad("the magic number is neither P2 nor P5")),
    }
    if values.len() != w * h {
        return Err(bad(&format!("{} of {} pixels present", values.len(), w * h)));
    }
    Ok((w, h, values))
}
