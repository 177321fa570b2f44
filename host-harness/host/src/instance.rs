//! [`GuestInstance`]: one `Store` with one instance of a connector, and the rules of a call:
//! time budget (epochs plus a host-side timeout), memory cap, and poisoning after a trap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Func, Instance, Val};
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
    /// The typed bindings, for a component of the current contract.
    pub(crate) bindings: Option<HostBindings>,
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
            shared.http.clone(),
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
        let instantiate = loaded.pre.instantiate_async(&mut store);
        let instance = guard
            .finish("instantiate", instantiate)
            .await
            .map_err(|e| match e {
                HostError::Trap { message, .. } => HostError::Instantiate(message),
                other => other,
            })?;
        let bindings = match &loaded.indices {
            Some(indices) => Some(
                indices
                    .load(&mut store, &instance)
                    .map_err(|e| HostError::Incompatible(describe(&e)))?,
            ),
            None => None,
        };
        Ok(Self {
            store,
            instance,
            bindings,
            guard,
        })
    }

    /// The one way into the guest, for the typed, the adapted and the JSON API alike: refuses
    /// a poisoned instance, arms the call's deadline and runs `call` under the time budget; a
    /// trap or a timeout poisons the instance.
    pub(crate) async fn run<'s, R>(
        &'s mut self,
        op: &str,
        call: impl FnOnce(&'s mut Store<SessionState>) -> GuestCall<'s, R>,
    ) -> Result<R, HostError> {
        self.guard.check()?;
        self.guard.arm(&mut self.store);
        let call = call(&mut self.store);
        self.guard.finish(op, call).await
    }

    /// A function of the component's connector interface (`info`, `[method]session.<op>`...).
    pub(crate) fn export_func(
        &mut self,
        component: &LoadedComponent,
        name: &str,
    ) -> Result<Func, HostError> {
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&component.interface), name)
            .ok_or_else(|| HostError::UnknownOperation(name.to_string()))?;
        self.instance
            .get_func(&mut self.store, index)
            .ok_or_else(|| HostError::UnknownOperation(name.to_string()))
    }

    /// Calls `func` dynamically, by the one call path ([`Self::run`]); its (single) result.
    pub(crate) async fn call_dynamic(
        &mut self,
        op: &str,
        func: Func,
        params: Vec<Val>,
    ) -> Result<Val, HostError> {
        let count = func.ty(&self.store).results().len();
        let mut results = vec![Val::Bool(false); count];
        self.run(op, |store| {
            Box::pin(func.call_async(store, &params, &mut results))
        })
        .await?;
        Ok(results.into_iter().next().unwrap_or(Val::Tuple(Vec::new())))
    }

    /// [`Self::run`] with the typed bindings of the current contract (callers check
    /// [`Self::bindings`] first; an older component gets `Incompatible`, never a panic).
    pub(crate) async fn run_typed<'s, R>(
        &'s mut self,
        op: &str,
        call: impl FnOnce(&'s mut Store<SessionState>, &'s HostBindings) -> GuestCall<'s, R>,
    ) -> Result<R, HostError> {
        let Some(bindings) = self.bindings.as_ref() else {
            return Err(HostError::Incompatible(format!(
                "`{op}` has no typed binding for this component's contract version"
            )));
        };
        self.guard.check()?;
        self.guard.arm(&mut self.store);
        let call = call(&mut self.store, bindings);
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
