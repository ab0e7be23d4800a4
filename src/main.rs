//! The `portbot` binary: parse the command line, set up logging, run.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    portbot::logging::init();
    let cli = portbot::cli::Cli::parse();
    match portbot::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("portbot: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
