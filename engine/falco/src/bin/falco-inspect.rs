//! `falco-inspect`: parse the command line, hand over to [`falco::inspect::run`].

use clap::Parser;
use falco::inspect;

fn main() {
    let cli = inspect::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if let Err(e) = inspect::run(&cli, &mut out) {
        // A closed pipe (e.g. `| head`) is not an error worth reporting.
        if let inspect::InspectError::Output(io) = &e {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
        falco::stdio::eprint(&format!("falco-inspect: {e}\n"));
        std::process::exit(1);
    }
}
