//! `psa-harness`: run PSA connector components (see `psa_host::cli`).

fn main() -> std::process::ExitCode {
    psa_harness::main()
}
