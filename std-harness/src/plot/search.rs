//! A search's trials: validation score against each hyper-parameter, one
//! panel each, points coloured by rung and the chosen trial ringed.

use plotters::prelude::*;

use super::{DrawResult, Picture, font, padded, render};
use crate::error::Result;
use crate::metrics::Metric;
use crate::search::Trial;

/// Colours of the rungs, first to last (then repeating).
const RUNG_COLOURS: [RGBColor; 4] = [
    RGBColor(160, 160, 160),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// One panel's axis: its name, how a trial maps onto it, and how a tick reads.
struct Axis {
    name: &'static str,
    value: fn(&Trial) -> f64,
    label: fn(f64) -> String,
}

/// Validation score against learning rate, batch size, weight decay and
/// epochs (the first three on log scales).
///
/// # Errors
/// [`crate::error::Error::Plot`] naming `name`.
pub fn search(name: &str, title: &str, trials: &[Trial], metric: Metric) -> Result<Picture> {
    let axes = [
        Axis {
            name: "learning rate (log)",
            value: |t| t.lr.max(f64::MIN_POSITIVE).log10(),
            label: |x| format!("{:.0e}", 10f64.powf(x)),
        },
        Axis {
            name: "batch size (log)",
            value: |t| (t.batch.max(1) as f64).log2(),
            label: |x| format!("{:.0}", 2f64.powf(x)),
        },
        Axis {
            name: "weight decay (log; 0 at left)",
            value: |t| {
                if t.weight_decay > 0.0 {
                    t.weight_decay.log10()
                } else {
                    -9.0
                }
            },
            label: |x| format!("{:.0e}", 10f64.powf(x)),
        },
        Axis {
            name: "epochs (budget)",
            value: |t| t.epochs as f64,
            label: |x| format!("{x:.0}"),
        },
    ];
    render(name, (1100, 860), |root| {
        let (top, body) = root.split_vertically(40);
        top.titled(title, font(22))?;
        for (area, axis) in body.split_evenly((2, 2)).iter().zip(&axes) {
            panel(area, axis, trials, metric)?;
        }
        Ok(())
    })
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    axis: &Axis,
    trials: &[Trial],
    metric: Metric,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let scored: Vec<(f64, f64, &Trial)> = trials
        .iter()
        .filter_map(|t| Some(((axis.value)(t), t.valid_score?, t)))
        .collect();
    let (x_lo, x_hi) = padded(scored.iter().map(|p| p.0));
    let (y_lo, y_hi) = padded(scored.iter().map(|p| p.1));
    let mut chart = ChartBuilder::on(area)
        .caption(format!("validation {} by {}", metric.name(), axis.name), font(16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc(axis.name)
        .y_desc(format!("validation {}", metric.name()))
        .x_label_formatter(&|x| (axis.label)(*x))
        .label_style(font(12))
        .axis_desc_style(font(14))
        .draw()?;
    chart.draw_series(scored.iter().map(|&(x, y, t)| {
        let colour = RUNG_COLOURS.get(t.rung % RUNG_COLOURS.len()).copied().unwrap_or(BLACK);
        Circle::new((x, y), 4, colour.filled())
    }))?;
    chart.draw_series(
        scored
            .iter()
            .filter(|p| p.2.chosen)
            .map(|&(x, y, _)| Circle::new((x, y), 9, BLACK.stroke_width(2))),
    )?;
    Ok(())
}
