//! `psa-harness`: run PSA connector components (see `host_harness::cli`).

fn main() -> std::process::ExitCode {
    host_harness::cli::main()
}
