//! `falco`: parse the command line, hand over to [`falco::app::run`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = falco::cli::Cli::parse();
    falco::app::run(cli)
}
