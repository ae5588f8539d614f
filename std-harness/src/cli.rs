//! The command line: one subcommand per experiment, and `report`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::console::Console;
use crate::data::data_dir;
use crate::error::Result;
use crate::experiments::conv1d::Arch;
use crate::experiments::usps_mlp::MlpLoss;
use crate::experiments::{
    Ctx, RunArgs, ae_vs_pca, autoencoder, checkerboard, conv1d, gaussians, linreg, resolve, usps_mlp,
};
use crate::model::{self, commands::ModelArgs, input::Invert};
use crate::report::{self, ReportArgs};

/// Experiments of the flambeau neural-network library, and their report.
///
/// Data (USPS digits, the insurance table) are read from `--data DIR`, else
/// from the `FLAMBEAU_DATA` environment variable, else from `./data`.
#[derive(Debug, Parser)]
#[command(name = "flambeau", version, about)]
pub struct Cli {
    /// Data folder holding `usps/` and `insurance/insurance.csv`.
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print results only, without progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The experiment to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Linear regression of the insurance charges (gradient descent against the closed form).
    Linreg(RunArgs),
    /// Two Gaussian classes in 2-D, a linear classifier.
    Gaussians(RunArgs),
    /// The 4-cluster checkerboard (XOR), Linear(2,16)-Tanh-Linear(16,1)-Sigmoid.
    Checkerboard(RunArgs),
    /// USPS digits with the MLP 256-128-64-10.
    UspsMlp {
        /// Shared flags.
        #[command(flatten)]
        run: RunArgs,
        /// The loss: MSE on sigmoid outputs, or cross-entropy on logits.
        #[arg(long, value_enum, default_value = "ce")]
        loss: MlpLoss,
        /// Dropout of this probability after each hidden layer (cross-entropy only).
        #[arg(long, allow_negative_numbers = true)]
        dropout: Option<f32>,
    },
    /// A USPS auto-encoder, compared with PCA at the same code size.
    Autoencoder {
        /// Shared flags.
        #[command(flatten)]
        run: RunArgs,
        /// Code sizes [default: the recipe's; supported: 8, 16, 32, 64, 128].
        #[arg(long, value_delimiter = ',')]
        codes: Option<Vec<usize>>,
        /// A tied auto-encoder: the decoder is the encoder's weight transposed.
        #[arg(long)]
        tied: bool,
    },
    /// Auto-encoder against PCA: AE alone, PCA encoder + learned decoder, learned encoder + PCA decoder.
    AeVsPca {
        /// Shared flags.
        #[command(flatten)]
        run: RunArgs,
        /// Code sizes [default: 16,32,64; supported: 8, 16, 32, 64, 128].
        #[arg(long, value_delimiter = ',')]
        codes: Option<Vec<usize>>,
    },
    /// USPS digits with a 1-D convolutional network over the image.
    Conv1d {
        /// Shared flags.
        #[command(flatten)]
        run: RunArgs,
        /// The network [default: `report` for the report recipe, `deep` for the best one].
        #[arg(long, value_enum)]
        arch: Option<Arch>,
    },
    /// USPS digits with a 2-D convolutional network (an ensemble of them in the best recipe).
    Conv2d {
        /// Shared flags.
        #[command(flatten)]
        run: RunArgs,
        /// The network [default: `lenet` for the report recipe, `fast` for the best one].
        #[arg(long, value_enum)]
        arch: Option<crate::experiments::conv2d::Arch>,
        /// Networks trained (seeds --seed, --seed + 1, ...) and averaged [default: 1 for the report recipe, 8 for the best one].
        #[arg(long, allow_negative_numbers = true, value_parser = crate::experiments::whole_number::<usize>)]
        members: Option<usize>,
        /// Largest random rotation of the training images, in degrees [default: 0 for the report recipe, 10 for the best one].
        #[arg(long, allow_negative_numbers = true)]
        rotation: Option<f32>,
        /// Largest random change of size of the training images, as a fraction either way (0.1: 0.9 to 1.1 times) [default: 0 for the report recipe, 0.1 for the best one].
        #[arg(long, allow_negative_numbers = true)]
        scale: Option<f32>,
    },
    /// Tunes an experiment's learning rate, batch size, weight decay and epochs (random search, successive halving).
    Search(crate::search::SearchArgs),
    /// Runs every experiment and writes a Markdown report with its pictures.
    Report(ReportArgs),
    /// Shows a model file: tensors, dtypes, shapes, metadata, parameters, footprint on a chip.
    Inspect {
        /// The model file.
        file: PathBuf,
        /// The architecture, for files without metadata.
        #[arg(long)]
        arch: Option<String>,
    },
    /// Runs a trained model on pictures (PNG, PGM; any size), IDX image files or CSV rows.
    Predict {
        /// The model.
        #[command(flatten)]
        model: ModelArgs,
        /// Input files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Invert pictures (USPS digits are bright on dark): when their border is bright, always, or never.
        #[arg(long, value_enum, default_value = "auto")]
        invert: Invert,
        /// Write the predictions as CSV to this file instead of printing them.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Writes the firmware template's model folder (model.rs, weights, test vectors) for a model file.
    Export {
        /// The model.
        #[command(flatten)]
        model: ModelArgs,
        /// The folder to write (the template's `model/`), replaced whole; an existing one may hold only
        /// model.rs, weights.safetensors and test_vectors.safetensors.
        #[arg(long)]
        out: PathBuf,
        /// Test vectors for the chip's parity check: 1 to 4096 (and at most 4194304 input values in all).
        #[arg(
            long,
            default_value_t = model::commands::EXPORT_VECTORS,
            allow_negative_numbers = true,
            value_parser = crate::experiments::whole_number::<usize>
        )]
        vectors: usize,
        /// Seed of the test vectors.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The shape of one input (`C,L` for a 1-D CNN, `C,H,W` for a 2-D CNN, `N` for a flat row):
        /// overrides the file's `input_shape` metadata, for files without it (a PyTorch `state_dict`).
        #[arg(long, value_name = "SIZES")]
        input_shape: Option<String>,
    },
    /// Evaluates a trained USPS model on the test set: accuracy, loss, per-class scores, confusion matrix, predictions CSV.
    Evaluate {
        /// The model.
        #[command(flatten)]
        model: ModelArgs,
        /// Output folder [default: out/evaluate].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Quantises a trained model to int8 and compares its test accuracy with the f32 one.
    Quantize(crate::quantize::QuantizeArgs),
}

/// Runs the parsed command line.
///
/// # Errors
/// Any experiment's error (bad data, a setting out of range, a failed write).
pub fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        data: data_dir(cli.data),
        console: Console::new(cli.quiet),
        max_epochs: None,
        out_root: PathBuf::from("out"),
    };
    match cli.command {
        Command::Linreg(args) => linreg::run(&ctx, &resolve(&args, "linreg")?).map(drop),
        Command::Gaussians(args) => gaussians::run(&ctx, &resolve(&args, "gaussians")?).map(drop),
        Command::Checkerboard(args) => checkerboard::run(&ctx, &resolve(&args, "checkerboard")?).map(drop),
        Command::UspsMlp { run, loss, dropout } => {
            let run = resolve(&run, &format!("usps-mlp-{}", loss.name()))?;
            usps_mlp::run_dropout(&ctx, &run, loss, dropout).map(drop)
        }
        Command::Autoencoder { run, codes, tied } => {
            let run = resolve(&run, if tied { "autoencoder-tied" } else { "autoencoder" })?;
            autoencoder::run_tied(&ctx, &run, codes.as_deref(), tied).map(drop)
        }
        Command::AeVsPca { run, codes } => {
            ae_vs_pca::run(&ctx, &resolve(&run, "ae-vs-pca")?, codes.as_deref()).map(drop)
        }
        Command::Conv1d { run, arch } => conv1d::run(&ctx, &resolve(&run, "conv1d")?, arch).map(drop),
        Command::Conv2d {
            run,
            arch,
            members,
            rotation,
            scale,
        } => {
            let options = crate::experiments::conv2d::Options {
                arch,
                members,
                rotation,
                scale,
            };
            crate::experiments::conv2d::run(&ctx, &resolve(&run, "conv2d")?, options).map(drop)
        }
        Command::Search(args) => crate::search::run(&ctx, &args).map(drop),
        Command::Report(args) => report::run(&ctx, &args),
        Command::Inspect { file, arch } => {
            // Through the console, as every result line: a closed standard output is not an error.
            let shown = model::commands::inspect(&file, arch.as_deref())?;
            ctx.console.say(shown.trim_end_matches('\n'));
            Ok(())
        }
        Command::Predict {
            model,
            inputs,
            invert,
            out,
        } => model::commands::predict(&model, &inputs, invert, out.as_deref(), &ctx.console),
        Command::Export {
            model,
            out,
            vectors,
            seed,
            input_shape,
        } => model::commands::export(&model, &out, vectors, seed, input_shape.as_deref(), &ctx.console),
        Command::Evaluate { model, out } => {
            let out = out.unwrap_or_else(|| ctx.out_root.join("evaluate"));
            model::commands::evaluate(&model, &ctx.data, &out, &ctx.console)
        }
        Command::Quantize(args) => crate::quantize::run(&ctx, &args).map(drop),
    }
}
