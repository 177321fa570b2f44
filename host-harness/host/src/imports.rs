//! Exactly the imports of the `psa-connector` world (see `wit/world.wit`), and nothing else.
//!
//! wasmtime's `add_to_linker` helpers link every WASI interface (files, sockets, randomness); a connector gets only the interfaces its world declares, so a component that
//! imports anything more is refused at load time, naming the import, instead of being handed a
//! capability the contract does not grant. What each interface gives is set in
//! [`SessionState`](crate::state::SessionState): no environment, no arguments, an empty stdin,
//! stdout and stderr into the host's log.

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime::StoreContextMut;
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::p2::bindings::{cli, clocks};
use wasmtime_wasi::WasiView;
use wasmtime_wasi_http::p2::bindings::http;
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{RequestOptions, WasiHttp, WasiHttpView as _};

use crate::state::SessionState;

/// The interfaces [`add_connector_imports`] links, without versions (any `0.2.x` of them
/// resolves against wasmtime's `0.2.12`).
pub(crate) const PROVIDED: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// The imports of `component` this host does not provide, with versions, in the component's
/// order. The contract's own interfaces (`psa:connector/types`, imported for its type
/// definitions only) are left to the linker's type check.
pub(crate) fn unprovided(
    component: &wasmtime::component::Component,
    engine: &wasmtime::Engine,
) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| !name.starts_with("psa:connector/"))
        .filter(|name| !PROVIDED.contains(&name.split('@').next().unwrap_or(name)))
        .collect()
}

/// The `wasi:io` interfaces work on the store's resource table.
struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// Adds the world's imports to `linker`.
pub(crate) fn add_connector_imports(linker: &mut Linker<SessionState>) -> wasmtime::Result<()> {
    use wasmtime_wasi_io::bindings::wasi::io;
    let l = linker;
    io::error::add_to_linker::<_, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<_, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<_, HasIo>(l, |t| t.ctx().table)?;
    clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(l, SessionState::clocks)?;
    clocks::wall_clock::add_to_linker::<_, WasiClocks>(l, SessionState::clocks)?;
    cli::environment::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::exit::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::stdin::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::stdout::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::stderr::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::terminal_input::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::terminal_output::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::terminal_stdin::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::terminal_stdout::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    cli::terminal_stderr::add_to_linker::<_, WasiCli>(l, SessionState::cli)?;
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    http::types::add_to_linker::<_, WasiHttp>(l, &options.into(), SessionState::http)?;
    add_outgoing_handler(l)?;
    Ok(())
}

/// `wasi:http/outgoing-handler` as wasmtime-wasi-http implements it, except that the
/// `request-options` a guest hands over with `handle` are released afterwards.
///
/// `handle` takes ownership of the options (`option<request-options>`, not a borrow), but
/// wasmtime-wasi-http 48 only reads them and leaves them in the instance's resource table: a
/// session trapped with "resource table has no free keys" after about 4,000 requests
/// (`MAX_RESOURCES` in `state.rs`). Tested in `tests/e2e/host.rs`.
fn add_outgoing_handler(linker: &mut Linker<SessionState>) -> wasmtime::Result<()> {
    type Params = (
        Resource<HostOutgoingRequest>,
        Option<Resource<RequestOptions>>,
    );
    type Answer = Result<Resource<HostFutureIncomingResponse>, http::types::ErrorCode>;
    let mut instance = linker.instance("wasi:http/outgoing-handler@0.2.12")?;
    instance.func_wrap(
        "handle",
        |mut store: StoreContextMut<'_, SessionState>, (request, options): Params| {
            let options_rep = options.as_ref().map(Resource::rep);
            let mut http = store.data_mut().http();
            let answer = http::outgoing_handler::Host::handle(&mut http, request, options);
            if let Some(rep) = options_rep {
                // Whatever `handle` answered, the options are the host's now and used up.
                let _ = http.table.delete(Resource::<RequestOptions>::new_own(rep));
            }
            // An `ErrorCode` goes to the guest; anything else is a trap, as in the bindings.
            let answer: Answer = match answer {
                Ok(response) => Ok(response),
                Err(error) => Err(error.downcast()?),
            };
            Ok((answer,))
        },
    )
}
