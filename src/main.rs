//! The `faultline` binary: everything lives in [`faultline::cli`], where it can be tested.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = faultline::cli::main_with(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
