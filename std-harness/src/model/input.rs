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
use crate::data::idx;
use crate::error::Result;

/// Side of the model's images.
pub const SIDE: usize = 16;

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

/// One input row and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The file, and the record within it (`digits.idx#3`, `rows.csv:2`).
    pub source: String,
    /// The values, in the model's input space.
    pub values: Vec<f32>,
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

/// Reads every row of the files `paths`.
///
/// # Errors
/// [`crate::error::Error::Model`] naming the file and the problem.
pub fn read_rows(paths: &[impl AsRef<Path>], map: Mapping) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" => rows.extend(csv_rows(path, &name, map)?),
            "png" | "pgm" => {
                let (w, h, grey) = if ext == "png" { read_png(path)? } else { read_pgm(path)? };
                let unit = to_side(&grey, w, h, map.invert);
                rows.push(Row {
                    source: name,
                    values: image_row(&unit, map, path)?,
                });
            }
            _ => {
                let images = idx::read_images(path).map_err(|e| model_error(path, e.to_string()))?;
                for (i, img) in images.pixels.chunks_exact(images.rows * images.cols).enumerate() {
                    let unit = if images.rows == SIDE && images.cols == SIDE {
                        img.to_vec()
                    } else {
                        resize(img, images.cols, images.rows)
                    };
                    rows.push(Row {
                        source: format!("{name}#{i}"),
                        values: image_row(&unit, map, path)?,
                    });
                }
            }
        }
    }
    Ok(rows)
}

/// A 16x16 picture of `[0, 1]` values in the model's input space.
fn image_row(unit: &[f32], map: Mapping, path: &Path) -> Result<Vec<f32>> {
    let Some((scale, offset)) = map.pixels else {
        return Err(model_error(
            path,
            "the model does not take images: give its input rows as CSV",
        ));
    };
    if map.len != unit.len() {
        return Err(model_error(
            path,
            format!(
                "the model takes rows of {} values, an image gives {}",
                map.len,
                unit.len()
            ),
        ));
    }
    Ok(unit.iter().map(|&p| p * 255.0 * scale + offset).collect())
}

/// CSV rows of numbers: pixel bytes (0-255) for image models, raw values otherwise.
fn csv_rows(path: &Path, name: &str, map: Mapping) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if i == 0 && cells.iter().any(|c| c.parse::<f32>().is_err()) {
            continue; // a header line
        }
        if cells.len() != map.len {
            return Err(model_error(
                path,
                format!("line {}: {} values, the model takes {}", i + 1, cells.len(), map.len),
            ));
        }
        let mut values = Vec::with_capacity(cells.len());
        for (j, c) in cells.iter().enumerate() {
            let v = c.parse::<f32>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                model_error(
                    path,
                    format!(
                        "line {}, column {}: '{}' is not a finite number",
                        i + 1,
                        j + 1,
                        c.escape_debug()
                    ),
                )
            })?;
            values.push(match map.pixels {
                Some((scale, offset)) => v * scale + offset,
                None => v,
            });
        }
        rows.push(Row {
            source: format!("{name}:{}", i + 1),
            values,
        });
    }
    Ok(rows)
}

/// A picture as grey values in `[0, 1]`, 16x16, inverted as asked.
fn to_side(grey: &[f32], w: usize, h: usize, invert: Invert) -> Vec<f32> {
    let border: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == w || y + 1 == h)
        .filter_map(|(x, y)| grey.get(y * w + x).copied())
        .collect();
    let bright = border.iter().sum::<f32>() / border.len().max(1) as f32 > 0.5;
    let flip = invert == Invert::Yes || (invert == Invert::Auto && bright);
    let img: Vec<f32> = grey.iter().map(|&g| if flip { 1.0 - g } else { g }).collect();
    resize(&img, w, h)
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

/// Largest picture side read.
const PICTURE_MAX: usize = 8192;

/// A PNG as grey values in `[0, 1]`.
fn read_png(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let bad = |e: String| model_error(path, format!("not a readable PNG: {e}"));
    let file = std::fs::File::open(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    if w == 0 || h == 0 || w > PICTURE_MAX || h > PICTURE_MAX {
        return Err(bad(format!("{w}x{h} pixels (1 to {PICTURE_MAX} a side)")));
    }
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(|e| bad(e.to_string()))?;
    let channels = frame.color_type.samples();
    let bytes = buf.get(..frame.buffer_size()).unwrap_or(&[]);
    let grey = bytes
        .chunks_exact(channels)
        .map(|px| match px {
            [g] | [g, _] => f32::from(*g) / 255.0,
            [r, g, b, ..] => (0.299 * f32::from(*r) + 0.587 * f32::from(*g) + 0.114 * f32::from(*b)) / 255.0,
            [] => 0.0,
        })
        .collect();
    Ok((w, h, grey))
}

/// A PGM (binary `P5` or text `P2`, 8 or 16 bits) as grey values in `[0, 1]`.
fn read_pgm(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let bytes = std::fs::read(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
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
    if w == 0 || h == 0 || w > PICTURE_MAX || h > PICTURE_MAX || max == 0 || max > 65535 {
        return Err(bad(&format!("{w}x{h} pixels, maximum {max}")));
    }
    let body = bytes.get(pos + 1..).unwrap_or(&[]);
    let values: Vec<usize> = match fields.first().map(String::as_str) {
        Some("P5") if max < 256 => body.iter().take(w * h).map(|&b| usize::from(b)).collect(),
        Some("P5") => body
            .chunks_exact(2)
            .take(w * h)
            .map(|p| usize::from(u16::from_be_bytes([p[0], p[1]])))
            .collect(),
        Some("P2") => String::from_utf8_lossy(body)
            .split_ascii_whitespace()
            .take(w * h)
            .map(|t| {
                t.parse::<usize>()
                    .map_err(|_| bad(&format!("'{t}' is not a pixel value")))
            })
            .collect::<Result<_>>()?,
        _ => return Err(bad("the magic number is neither P2 nor P5")),
    };
    if values.len() != w * h {
        return Err(bad(&format!("{} of {} pixels present", values.len(), w * h)));
    }
    Ok((w, h, values.iter().map(|&v| v.min(max) as f32 / max as f32).collect()))
}
