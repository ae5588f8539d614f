//! Linear regression of the insurance charges with the core's
//! `LinearRegression` (gradient descent on the MSE), against the
//! closed-form least-squares fit computed here with an SVD.
//!
//! Features and target are standardised with the training split's mean
//! and deviation; R² does not depend on that scaling.

use flambeau::{LinearRegression, Rng};
use nalgebra::{DMatrix, DVector};

use super::run::{Head, Outcome, RunResult, Written, check_out, command, finish};
use super::{Ctx, Recipe, RunArgs, Settings};
use crate::data::{Standardizer, Table, check_splits, insurance_path, load_insurance, split_60_20_20};
use crate::error::{CoreContext, Result, setting};
use crate::metrics::{Metric, mse, r2};
use crate::plot;
use crate::train::{EpochRecord, Evaluation, History};

/// Feature columns of the encoded insurance table: age, sex, bmi, children,
/// smoker and the four regions one-hot.
pub const FEATURES: usize = 9;
/// The encoded columns of the public table (levels sorted, two-level
/// columns as one 0/1 column named after the last level).
const COLUMNS: [&str; FEATURES] = [
    "age",
    "sex=male",
    "bmi",
    "children",
    "smoker=yes",
    "region=northeast",
    "region=northwest",
    "region=southeast",
    "region=southwest",
];
/// The old report's figure.
pub const REPORT: &str = "R² ≈ 0.70 train, 0.75 test (300 epochs)";
/// Singular values below this fraction of the largest are treated as zero
/// (the one-hot regions and the intercept are collinear).
const SVD_EPS: f64 = 1e-9;

/// The recipe's settings; a batch of 0 means the whole training split.
pub fn settings(recipe: Recipe) -> Settings {
    match recipe {
        Recipe::Report => Settings::sgd(300, 0.01, 0),
        Recipe::Best => Settings::sgd(1000, 0.2, 0),
    }
}

/// One split, standardised.
struct Part {
    x: Vec<f32>,
    y: Vec<f32>,
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, core, plotting and writing errors.
pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<Written> {
    let settings = settings(args.recipe).overridden(args, ctx.max_epochs)?;
    if args.resume.is_some() {
        return Err(setting(
            "--resume",
            "linreg trains in about a second and keeps no checkpoint; run it again without --resume",
        ));
    }
    check_out(ctx, "linreg", args)?;
    let path = insurance_path(&ctx.data);
    let table = load_insurance(&path)?;
    let sizes = |n: usize| {
        let (a, b, c) = split_60_20_20(n, args.seed);
        vec![("training", a.len()), ("validation", b.len()), ("test", c.len())]
    };
    check_splits(&path.display().to_string(), table.n, sizes)?;
    check_columns(&table, &path.display().to_string())?;
    let (parts, target_scale) = prepare(&table, args.seed)?;
    let mut model = LinearRegression::<f32, FEATURES>::new();
    let history = descend(&mut model, &parts, &settings, args.seed)?;
    let evals = parts.each_ref().map(|p| evaluation(&model, p));
    let [t, v, s] = evals;
    let (t, v, s) = (t?, v?, s?);
    let head = Head {
        experiment: "linreg",
        variant: String::new(),
        args,
        settings: &settings,
        model: format!("LinearRegression({FEATURES} features) with MSE"),
        report: REPORT,
        command: command("linreg", "", args),
    };
    let mut result = RunResult::new(head, &history, [&t, &v, &s]);
    for (name, value) in ["train", "validation", "test"].iter().zip(closed_form(&parts)) {
        result.add_reference(format!("closed-form least squares, {name} R²"), value);
    }
    let mut outcome = Outcome::default();
    let a = &mut outcome.artifacts;
    a.add("curves.csv", history.csv().into_bytes());
    let title = format!("linreg ({}): test R² {:.4}", args.recipe.name(), s.score);
    plot::curves("curves.png", &title, &history)?.save(a, "curves.png")?;
    let dollars = |v: &[f32]| {
        v.iter()
            .map(|&y| y * target_scale.1 + target_scale.0)
            .collect::<Vec<_>>()
    };
    let pair = (&dollars(&s.outputs)[..], &dollars(&parts[2].y)[..]);
    plot::scatter("predictions.png", "insurance charges, test split", pair, "charges")?.save(a, "predictions.png")?;
    result.files = ["curves.png", "predictions.png", "curves.csv"]
        .map(String::from)
        .to_vec();
    outcome.runs.push(result);
    finish(ctx, "linreg", args, outcome)
}

/// Checks that the table's encoded columns are the public table's,
/// naming unknown category levels and missing columns or levels.
fn check_columns(table: &Table, file: &str) -> Result<()> {
    if table.names.iter().map(String::as_str).eq(COLUMNS) {
        return Ok(());
    }
    let unknown: Vec<&str> = table
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| !COLUMNS.contains(n))
        .collect();
    let column = |name: &'static str| name.split('=').next().unwrap_or(name);
    let present = |col: &str| table.names.iter().any(|n| n.split('=').next() == Some(col));
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !table.names.iter().any(|n| n == c))
        .collect();
    let mut gone: Vec<&str> = missing.iter().map(|&c| column(c)).filter(|c| !present(c)).collect();
    gone.dedup();
    let levels: Vec<&str> = missing.iter().copied().filter(|&c| present(column(c))).collect();
    let mut problems = Vec::new();
    if !gone.is_empty() {
        problems.push(format!("missing column {}", gone.join(", ")));
    }
    if !unknown.is_empty() {
        problems.push(format!("unknown column or category level {}", unknown.join(", ")));
    }
    if !levels.is_empty() {
        problems.push(format!("missing category level {}", levels.join(", ")));
    }
    if problems.is_empty() {
        problems.push(format!("columns in another order: {}", table.names.join(", ")));
    }
    let problem = format!("{} (expected {})", problems.join("; "), COLUMNS.join(", "));
    Err(setting("insurance table", format!("{file}: {problem}")))
}

/// Splits 60/20/20 and standardises features and target on the training
/// split; returns the parts and the target's `(mean, std)`.
fn prepare(table: &Table, seed: u64) -> Result<([Part; 3], (f32, f32))> {
    let (a, b, c) = split_60_20_20(table.n, seed);
    let [mut ta, mut tb, mut tc] = [table.gather(&a)?, table.gather(&b)?, table.gather(&c)?];
    let features = Standardizer::fit(&ta.features, FEATURES)?;
    let target = Standardizer::fit(&ta.target, 1)?;
    for t in [&mut ta, &mut tb, &mut tc] {
        features.apply(&mut t.features)?;
        target.apply(&mut t.target)?;
    }
    let part = |t: Table| Part {
        x: t.features,
        y: t.target,
    };
    let scale = (
        target.mean.first().copied().unwrap_or(0.0),
        target.std.first().copied().unwrap_or(1.0),
    );
    Ok(([part(ta), part(tb), part(tc)], scale))
}

/// Gradient descent, full-batch or in shuffled mini-batches; keeps the best
/// epoch on validation.
fn descend(model: &mut LinearRegression<f32, FEATURES>, parts: &[Part; 3], s: &Settings, seed: u64) -> Result<History> {
    let start = std::time::Instant::now();
    let [train, valid, _] = parts;
    let n = train.y.len();
    let batch = if s.batch == 0 { n } else { s.batch.min(n) };
    let mut rng = Rng::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut history = History::new(Metric::R2);
    let mut best = *model;
    for epoch in 1..=s.epochs {
        rng.shuffle(&mut order);
        for rows in order.chunks(batch) {
            let x: Vec<f32> = rows.iter().flat_map(|&i| row(&train.x, i)).copied().collect();
            let y: Vec<f32> = rows.iter().filter_map(|&i| train.y.get(i)).copied().collect();
            model
                .fit_epoch(&x, &y, s.lr as f32)
                .context(|| format!("linreg: epoch {epoch}"))?;
        }
        let (t, v) = (evaluation(model, train)?, evaluation(model, valid)?);
        let record = EpochRecord {
            epoch,
            lr: s.lr,
            train_loss: t.loss,
            valid_loss: v.loss,
            train_score: t.score,
            valid_score: v.score,
        };
        if history.push(record) {
            best = *model;
        }
    }
    *model = best;
    history.seconds = start.elapsed().as_secs_f64();
    Ok(history)
}

fn row(x: &[f32], i: usize) -> &[f32] {
    x.get(i * FEATURES..(i + 1) * FEATURES).unwrap_or_default()
}

fn evaluation(model: &LinearRegression<f32, FEATURES>, part: &Part) -> Result<Evaluation> {
    let mut outputs = vec![0.0; part.y.len()];
    model
        .predict(&part.x, &mut outputs)
        .context(|| "linreg: predicting".to_owned())?;
    Ok(Evaluation {
        loss: mse(&outputs, &part.y),
        score: r2(&outputs, &part.y),
        outputs,
    })
}

/// R² of the least-squares fit on the training split (minimum-norm, by SVD),
/// on the three splits.
fn closed_form(parts: &[Part; 3]) -> [f64; 3] {
    let design = |p: &Part| {
        let n = p.y.len();
        DMatrix::from_fn(n, FEATURES + 1, |i, j| {
            row(&p.x, i).get(j).map_or(1.0, |&v| f64::from(v))
        })
    };
    let train = &parts[0];
    let y = DVector::from_iterator(train.y.len(), train.y.iter().map(|&v| f64::from(v)));
    let svd = design(train).svd(true, true);
    let eps = SVD_EPS * svd.singular_values.max();
    let w = svd.solve(&y, eps).unwrap_or_else(|_| DVector::zeros(FEATURES + 1));
    parts.each_ref().map(|p| {
        let pred: Vec<f32> = (design(p) * &w).iter().map(|&v| v as f32).collect();
        r2(&pred, &p.y)
    })
}
