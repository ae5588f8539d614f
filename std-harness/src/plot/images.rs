//! Pictures drawn cell by cell: rows of digit images and a confusion matrix.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Picture, font, render};
use crate::error::Result;

/// Screen pixels per image pixel in digit grids.
const ZOOM: i32 = 4;
/// Gap between images, in screen pixels.
const GAP: i32 = 6;
/// Width of the row labels' column.
const LABEL_WIDTH: i32 = 230;
/// Height of the title band.
const TITLE_HEIGHT: i32 = 44;
/// Side of a confusion-matrix cell.
const CELL: i32 = 46;

/// Rows of `side x side` images (pixels in `[0, 1]`, 0 the background drawn
/// white), each row labelled; every row shows its first `count` images.
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn digit_rows(name: &str, title: &str, rows: &[(String, &[f32])], side: usize, count: usize) -> Result<Picture> {
    let cell = side as i32 * ZOOM + GAP;
    let width = LABEL_WIDTH + count as i32 * cell + GAP;
    let height = TITLE_HEIGHT + rows.len() as i32 * cell + GAP;
    render(name, (width as u32, height as u32), |root| {
        root.draw(&Text::new(title.to_owned(), (GAP, 12), font(20)))?;
        for (r, (label, images)) in rows.iter().enumerate() {
            let top = TITLE_HEIGHT + r as i32 * cell;
            let centre = Pos::new(HPos::Left, VPos::Center);
            let style = font(16).pos(centre);
            root.draw(&Text::new(label.clone(), (GAP, top + cell / 2), style))?;
            for (k, image) in images.chunks_exact(side * side).take(count).enumerate() {
                let left = LABEL_WIDTH + k as i32 * cell;
                draw_image(root, image, side, (left, top))?;
            }
        }
        Ok(())
    })
}

fn draw_image<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    image: &[f32],
    side: usize,
    (left, top): (i32, i32),
) -> super::DrawResult
where
    DB::ErrorType: 'static,
{
    for (k, &v) in image.iter().enumerate() {
        let (x, y) = (left + (k % side) as i32 * ZOOM, top + (k / side) as i32 * ZOOM);
        let grey = (255.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
        root.draw(&Rectangle::new(
            [(x, y), (x + ZOOM, y + ZOOM)],
            RGBColor(grey, grey, grey).filled(),
        ))?;
    }
    let edge = side as i32 * ZOOM;
    root.draw(&Rectangle::new(
        [(left, top), (left + edge, top + edge)],
        RGBColor(200, 200, 200),
    ))?;
    Ok(())
}

/// A confusion matrix `matrix[true][predicted]`: counts in each cell,
/// shaded by the share of the true class.
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn confusion(name: &str, title: &str, matrix: &[Vec<usize>]) -> Result<Picture> {
    let n = matrix.len() as i32;
    let (left, top) = (90, 90);
    let size = ((left + n * CELL + 30) as u32, (top + n * CELL + 60) as u32);
    render(name, size, |root| {
        root.draw(&Text::new(title.to_owned(), (12, 12), font(20)))?;
        let centre = Pos::new(HPos::Center, VPos::Center);
        root.draw(&Text::new(
            "predicted",
            (left + n * CELL / 2, top - 38),
            font(16).pos(centre),
        ))?;
        root.draw(&Text::new("true", (30, top + n * CELL / 2), font(16).pos(centre)))?;
        for (t, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            let y = top + t as i32 * CELL;
            root.draw(&Text::new(
                t.to_string(),
                (left - 16, y + CELL / 2),
                font(15).pos(centre),
            ))?;
            for (p, &count) in row.iter().enumerate() {
                let x = left + p as i32 * CELL;
                if t == 0 {
                    root.draw(&Text::new(
                        p.to_string(),
                        (x + CELL / 2, top - 14),
                        font(15).pos(centre),
                    ))?;
                }
                let share = count as f64 / total;
                let colour = heat(share, t == p);
                root.draw(&Rectangle::new([(x, y), (x + CELL, y + CELL)], colour.filled()))?;
                root.draw(&Rectangle::new([(x, y), (x + CELL, y + CELL)], RGBColor(220, 220, 220)))?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                let text = font(14).pos(centre).color(&ink);
                root.draw(&Text::new(count.to_string(), (x + CELL / 2, y + CELL / 2), text))?;
            }
        }
        Ok(())
    })
}

/// Blue on the diagonal, red off it, darker for larger shares.
fn heat(share: f64, diagonal: bool) -> RGBColor {
    let base = if diagonal {
        (31.0, 90.0, 180.0)
    } else {
        (200.0, 40.0, 40.0)
    };
    let s = if diagonal { share } else { (share * 4.0).min(1.0) };
    let mix = |c: f64| (255.0 - (255.0 - c) * s) as u8;
    RGBColor(mix(base.0), mix(base.1), mix(base.2))
}
