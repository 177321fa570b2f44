//! [`GuestInstance`]: one `Store` with one instance of a connector, and the rules of a call:
//! time budget (epochs plus a host-side timeout), memory cap, and poisoning after a trap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Instance;
use wasmtime::{Store, StoreLimitsBuilder, Trap, UpdateDeadline};

use crate::bindings::HostBindings;
use crate::coordination::CallCoordination;
use crate::error::{describe, HostError};
use crate::outbound::{OutboundHooks, StatsCounters};
use crate::policy::EgressPolicy;
use crate::shared::{HostShared, LoadedComponent};
use crate::state::SessionState;

/// A call into the guest, started on a store and the instance's bindings.
pub(crate) type GuestCall<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// One instantiated connector in its own store.
pub(crate) struct GuestInstance {
    pub(crate) store: Store<SessionState>,
    pub(crate) instance: Instance,
    pub(crate) bindings: HostBindings,
    pub(crate) guard: CallGuard,
}

impl GuestInstance {
    /// A fresh store (limits, hooks, epoch callback) and an instance of the loaded component.
    pub(crate) async fn new(
        shared: &HostShared,
        loaded: &LoadedComponent,
        policy: Arc<EgressPolicy>,
        stats: Arc<StatsCounters>,
        coordination: Arc<CallCoordination>,
    ) -> Result<Self, HostError> {
        let config = &shared.config;
        let hooks = OutboundHooks::new(
            policy,
            coordination,
            stats,
            config.request_timeout,
            config.max_response_bytes,
        );
        let limits = StoreLimitsBuilder::new()
            .memory_size(config.memory_limit_bytes)
            .trap_on_grow_failure(true)
            .build();
        let state = SessionState::new(hooks, limits, config.max_header_bytes);
        let mut store = Store::new(&shared.engine, state);
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_callback(|ctx| {
            let expired = ctx
                .data()
                .deadline
                .is_none_or(|deadline| Instant::now() >= deadline);
            Ok(if expired {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });

        let mut guard = CallGuard {
            poisoned: false,
            call_timeout: config.call_timeout,
        };
        guard.arm(&mut store);
        let instantiate = loaded.pre.instance_pre().instantiate_async(&mut store);
        let instance = guard
            .finish("instantiate", instantiate)
            .await
            .map_err(|e| match e {
                HostError::Trap { message, .. } => HostError::Instantiate(message),
                other => other,
            })?;
        let bindings = loaded
            .indices
            .load(&mut store, &instance)
            .map_err(|e| HostError::Incompatible(describe(&e)))?;
        Ok(Self {
            store,
            instance,
            bindings,
            guard,
        })
    }

    /// The one way into the guest, for the typed and the JSON API alike: refuses a poisoned
    /// instance, arms the call's deadline and runs `call` under the time budget; a trap or a
    /// timeout poisons the instance.
    pub(crate) async fn run<'s, R>(
        &'s mut self,
        op: &str,
        call: impl FnOnce(&'s mut Store<SessionState>, &'s HostBindings) -> GuestCall<'s, R>,
    ) -> Result<R, HostError> {
        self.guard.check()?;
        self.guard.arm(&mut self.store);
        let call = call(&mut self.store, &self.bindings);
        self.guard.finish(op, call).await
    }
}

/// Poisoning and the time budget of calls into one store.
pub(crate) struct CallGuard {
    poisoned: bool,
    call_timeout: Duration,
}

impl CallGuard {
    fn check(&self) -> Result<(), HostError> {
        if self.poisoned {
            Err(HostError::Poisoned)
        } else {
            Ok(())
        }
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Sets the call's deadline: the epoch callback yields every tick until it passes, then
    /// interrupts the guest.
    fn arm(&self, store: &mut Store<SessionState>) {
        store.data_mut().deadline = Some(Instant::now() + self.call_timeout);
        store.set_epoch_deadline(1);
    }

    /// Runs a call into the guest under the time budget; a trap or timeout poisons the store.
    /// A guest blocked in a host call (HTTP) is not interrupted by epochs, hence the host-side
    /// timeout as well.
    async fn finish<R>(
        &mut self,
        op: &str,
        call: impl Future<Output = wasmtime::Result<R>>,
    ) -> Result<R, HostError> {
        let after = self.call_timeout;
        match tokio::time::timeout(after, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                self.poisoned = true;
                if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    tracing::warn!(op, ?after, "connector call interrupted at its deadline");
                    Err(HostError::Timeout {
                        op: op.to_string(),
                        after,
                    })
                } else {
                    let message = describe(&err);
                    tracing::warn!(op, %message, "connector trapped");
                    Err(HostError::Trap {
                        op: op.to_string(),
                        message,
                    })
                }
            }
            Err(_elapsed) => {
                self.poisoned = true;
                tracing::warn!(op, ?after, "connector call timed out");
                Err(HostError::Timeout {
                    op: op.to_string(),
                    after,
                })
            }
        }
    }
}
