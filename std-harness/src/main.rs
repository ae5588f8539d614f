//! `flambeau`: the experiments and the report, from the command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flambeau_harness::cli::Cli::parse();
    match flambeau_harness::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// `message` on one line: control characters (a newline or escape in a
/// file name, say) written as escapes, as the data files' records are.
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
