//! PNG pictures drawn with plotters into memory: training curves, decision
//! boundaries, digit grids, confusion matrices and a prediction scatter.
//!
//! Text uses DejaVu Sans compiled into the binary (plotters' `ab_glyph`
//! backend), so pictures render the same on any machine, with no system
//! fonts or fontconfig.

mod boundary;
mod curves;
mod images;
mod search;

pub use boundary::{Boundary, boundary};
pub use curves::{curves, scatter};
pub use images::{confusion, digit_rows};
pub use search::search;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::error::{Error, Result};
use crate::output::Artifacts;

/// The font family name the pictures use.
const FONT: &str = "sans-serif";

/// An RGB picture in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Pixels, 3 bytes each, row-major.
    pub rgb: Vec<u8>,
}

impl Picture {
    /// Adds the picture to `artifacts` as a PNG file.
    ///
    /// # Errors
    /// [`Error::Plot`] if encoding fails.
    pub fn save(&self, artifacts: &mut Artifacts, name: &str) -> Result<()> {
        artifacts.add_png(name, self.size, &self.rgb)
    }
}

/// The boxed error a drawing closure returns.
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws a `size` picture on a white background; `name` labels errors.
fn render(
    name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
) -> Result<Picture> {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bytes are a valid TrueType font; a failure would only lose the text.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    let drawn = {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
    };
    drawn.map_err(|e| Error::Plot {
        file: name.to_owned(),
        problem: e.to_string(),
    })?;
    Ok(Picture { size, rgb })
}

/// A text style of `size` pixels.
fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// `(lo, hi)` widened by 5 % (and to a unit range around a constant).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}
