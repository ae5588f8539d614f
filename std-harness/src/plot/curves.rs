//! Training curves (loss and score, train against validation) and a
//! predicted-against-true scatter.

use plotters::prelude::*;

use super::{DrawResult, Picture, font, padded, render};
use crate::error::Result;
use crate::train::History;

const TRAIN_COLOUR: RGBColor = RGBColor(31, 119, 180);
const VALID_COLOUR: RGBColor = RGBColor(214, 39, 40);
const BEST_COLOUR: RGBColor = RGBColor(90, 90, 90);

/// Loss and score curves side by side, with the best validation epoch marked.
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn curves(name: &str, title: &str, history: &History) -> Result<Picture> {
    render(name, (1200, 480), |root| {
        let (top, body) = root.split_vertically(40);
        top.titled(title, font(22))?;
        let (left, right) = body.split_horizontally(600);
        let epochs: Vec<f64> = history.column(|r| r.epoch as f64);
        let loss = (history.column(|r| r.train_loss), history.column(|r| r.valid_loss));
        let score = (history.column(|r| r.train_score), history.column(|r| r.valid_score));
        let best = history.best_epoch as f64;
        panel(&left, ("loss", SeriesLabelPosition::UpperRight), &epochs, loss, best)?;
        let corner = if history.metric.higher_is_better() {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        };
        panel(&right, (history.metric.name(), corner), &epochs, score, best)
    })
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    (what, corner): (&str, SeriesLabelPosition),
    epochs: &[f64],
    (train, valid): (Vec<f64>, Vec<f64>),
    best: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let last = epochs.last().copied().unwrap_or(1.0).max(2.0);
    let (lo, hi) = padded(train.iter().chain(&valid).copied());
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{what}: train vs validation"), font(18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1.0..last, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(what)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(font(13))
        .axis_desc_style(font(15))
        .draw()?;
    let line = |ys: &[f64]| epochs.iter().copied().zip(ys.iter().copied()).collect::<Vec<_>>();
    chart
        .draw_series(LineSeries::new(line(&train), TRAIN_COLOUR.stroke_width(2)))?
        .label("train")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], TRAIN_COLOUR.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(line(&valid), VALID_COLOUR.stroke_width(2)))?
        .label("validation")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], VALID_COLOUR.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(
            [(best, lo), (best, hi)],
            6,
            4,
            BEST_COLOUR.stroke_width(2),
        ))?
        .label(format!("best epoch ({best})"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BEST_COLOUR.stroke_width(2)));
    chart
        .configure_series_labels()
        .label_font(font(13))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(corner)
        .draw()?;
    Ok(())
}

/// Predicted against true values, with the diagonal.
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn scatter(name: &str, title: &str, (predicted, truth): (&[f32], &[f32]), axis: &str) -> Result<Picture> {
    render(name, (640, 600), |root| {
        let (lo, hi) = padded(predicted.iter().chain(truth).map(|&v| f64::from(v)));
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(20))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(lo..hi, lo..hi)?;
        chart
            .configure_mesh()
            .x_desc(format!("true {axis}"))
            .y_desc(format!("predicted {axis}"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(font(13))
            .axis_desc_style(font(15))
            .draw()?;
        chart.draw_series(LineSeries::new([(lo, lo), (hi, hi)], BEST_COLOUR))?;
        let points = truth.iter().zip(predicted);
        chart
            .draw_series(points.map(|(&t, &p)| Circle::new((f64::from(t), f64::from(p)), 2, TRAIN_COLOUR.filled())))?;
        Ok(())
    })
}
