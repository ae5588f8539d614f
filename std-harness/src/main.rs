//! `flambeau`: the experiments and the report, from the command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flambeau_harness::cli::Cli::parse();
    match flambeau_harness::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
