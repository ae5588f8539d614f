//! The decision boundary of a 2-D classifier, over its test points.

use plotters::prelude::*;

use super::{Picture, font, render};
use crate::error::Result;

const CLASS_COLOURS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];

/// A classifier's output over a grid, and the points to draw on it.
#[derive(Debug, Clone, Copy)]
pub struct Boundary<'a> {
    /// Horizontal extent of the grid.
    pub x_range: (f64, f64),
    /// Vertical extent of the grid.
    pub y_range: (f64, f64),
    /// Cells per side.
    pub resolution: usize,
    /// For each cell (row-major from the bottom-left), the probability of class 1.
    pub grid: &'a [f32],
    /// Points as `(x, y)` pairs.
    pub points: &'a [f32],
    /// Label (0 or 1) of each point.
    pub labels: &'a [u8],
}

impl Boundary<'_> {
    /// The centres of the grid's cells, as `(x, y)` pairs in [`Boundary::grid`]'s order.
    pub fn cell_centres(x_range: (f64, f64), y_range: (f64, f64), resolution: usize) -> Vec<f32> {
        let res = resolution.max(1);
        let at = |(lo, hi): (f64, f64), k: usize| (lo + (hi - lo) * (k as f64 + 0.5) / res as f64) as f32;
        (0..res)
            .flat_map(|j| (0..res).flat_map(move |i| [at(x_range, i), at(y_range, j)]))
            .collect()
    }

    /// Bounds of `points` widened by half their span (at least 0.5).
    pub fn extent(points: &[f32], axis: usize) -> (f64, f64) {
        let values = points.iter().skip(axis).step_by(2).map(|&v| f64::from(v));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            return (-1.0, 1.0);
        }
        let pad = (0.25 * (hi - lo)).max(0.5);
        (lo - pad, hi + pad)
    }
}

/// Cells shaded by the predicted class (paler where the model is unsure),
/// points coloured by their true class.
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn boundary(name: &str, title: &str, b: &Boundary<'_>) -> Result<Picture> {
    render(name, (640, 640), |root| {
        let (x0, x1) = b.x_range;
        let (y0, y1) = b.y_range;
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(20))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .label_style(font(13))
            .axis_desc_style(font(15))
            .draw()?;
        let res = b.resolution.max(1);
        let (dx, dy) = ((x1 - x0) / res as f64, (y1 - y0) / res as f64);
        let cells = b.grid.iter().enumerate().map(|(k, &p)| {
            let (i, j) = ((k % res) as f64, (k / res) as f64);
            let corner = (x0 + i * dx, y0 + j * dy);
            Rectangle::new([corner, (corner.0 + dx, corner.1 + dy)], shade(p).filled())
        });
        chart.draw_series(cells)?;
        for (class, colour) in CLASS_COLOURS.iter().enumerate() {
            let points = b
                .points
                .chunks_exact(2)
                .zip(b.labels)
                .filter(|(_, l)| usize::from(**l) == class);
            let dots = points.filter_map(|(p, _)| match *p {
                [x, y] => Some(Circle::new((f64::from(x), f64::from(y)), 3, colour.filled())),
                _ => None,
            });
            chart
                .draw_series(dots)?
                .label(format!("class {class}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled()));
        }
        chart
            .configure_series_labels()
            .label_font(font(13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// A pale colour of the predicted class, paler near probability 0.5.
fn shade(p: f32) -> RGBColor {
    let p = if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.5 };
    let class = CLASS_COLOURS[usize::from(p >= 0.5)];
    let confidence = f64::from((p - 0.5).abs() * 2.0);
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * (0.15 + 0.3 * confidence)) as u8;
    RGBColor(mix(class.0), mix(class.1), mix(class.2))
}
