//! A scripted [`Transport`] for connectors' native unit tests: answers from a closure, records
//! every request and every sleep (no real time passes).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use crate::http::{Request, Response, Transport, TransportError};

type Handler = Box<dyn Fn(&Request, usize) -> Result<Response, TransportError>>;

/// What the fake saw, shared with the test.
#[derive(Default)]
pub struct Log {
    /// `METHOD /path` of every request, in order.
    pub requests: RefCell<Vec<String>>,
    /// Every sleep asked for.
    pub sleeps: RefCell<Vec<Duration>>,
}

impl Log {
    /// Requests starting with `prefix` (e.g. `POST /api/Tickets`).
    pub fn count(&self, prefix: &str) -> usize {
        self.requests
            .borrow()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }
}

/// The fake transport.
pub struct Scripted {
    handler: Handler,
    log: Rc<Log>,
}

impl Scripted {
    /// `handler(request, n)` answers the n-th (0-based) request to the same method and path.
    pub fn new(
        handler: impl Fn(&Request, usize) -> Result<Response, TransportError> + 'static,
    ) -> (Box<Scripted>, Rc<Log>) {
        let log = Rc::new(Log::default());
        (
            Box::new(Scripted {
                handler: Box::new(handler),
                log: log.clone(),
            }),
            log,
        )
    }
}

impl Transport for Scripted {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let key = format!("{} {}", request.method.as_str(), request.url.path());
        let n = self
            .log
            .requests
            .borrow()
            .iter()
            .filter(|r| **r == key)
            .count();
        self.log.requests.borrow_mut().push(key);
        (self.handler)(request, n)
    }

    fn sleep(&self, duration: Duration) {
        self.log.sleeps.borrow_mut().push(duration);
    }
}

/// A JSON answer.
pub fn json(status: u16, body: &str) -> Result<Response, TransportError> {
    Ok(Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    })
}

/// An answer with any content type.
pub fn text(status: u16, content_type: &str, body: &str) -> Result<Response, TransportError> {
    Ok(Response {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    })
}
