// The one bindings set-up of every Rust guest of this repository, `include!`d by the guest SDK
// (`psa-connector-sdk`, which connectors build on) and by test fixtures that deliberately use
// no SDK (tests/fixtures/hostile-connector): `psa_connector_bindings!("<path to wit/>")`
// expands to `wit_bindgen::generate!` for the `psa-connector` world with every WASI interface
// taken from the `wasi` crate, so a guest has one WASI bindings crate and its HTTP types are the
// world's. More `generate!` options may follow the path (the SDK adds `pub_export_macro` and
// `default_bindings_module` so that connector crates export through it).

macro_rules! psa_connector_bindings {
    ($wit:tt $(, $option:ident : $value:tt)* $(,)?) => {
        wit_bindgen::generate!({
            path: $wit,
            world: "psa-connector",
            $($option: $value,)*
            with: {
                "wasi:http/types@0.2.12": wasi::http::types,
                "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
                "wasi:io/poll@0.2.12": wasi::io::poll,
                "wasi:io/error@0.2.12": wasi::io::error,
                "wasi:io/streams@0.2.12": wasi::io::streams,
                "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
                "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
                // What Rust's std runtime imports; connectors do not call these themselves.
                "wasi:cli/environment@0.2.12": wasi::cli::environment,
                "wasi:cli/exit@0.2.12": wasi::cli::exit,
                "wasi:cli/stdin@0.2.12": wasi::cli::stdin,
                "wasi:cli/stdout@0.2.12": wasi::cli::stdout,
                "wasi:cli/stderr@0.2.12": wasi::cli::stderr,
                "wasi:cli/terminal-input@0.2.12": wasi::cli::terminal_input,
                "wasi:cli/terminal-output@0.2.12": wasi::cli::terminal_output,
                "wasi:cli/terminal-stdin@0.2.12": wasi::cli::terminal_stdin,
                "wasi:cli/terminal-stdout@0.2.12": wasi::cli::terminal_stdout,
                "wasi:cli/terminal-stderr@0.2.12": wasi::cli::terminal_stderr,
            },
        });
    };
}
