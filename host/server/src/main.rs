//! The `minyi` binary: parses the command line and runs it (all logic lives in the library).

fn main() -> std::process::ExitCode {
    minyi_server::cli::main()
}
