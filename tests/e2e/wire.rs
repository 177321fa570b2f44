//! What the connector puts on the wire, seen by a server that is not the mock: a bare HTTP/1.1
//! server that, like Python's `http.server` and some WAFs, reads a request body only by its
//! `Content-Length` and never decodes a chunked upload.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::*;

/// One request as the raw server read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    content_length: Option<usize>,
    transfer_encoding: Option<String>,
    body: String,
}

/// Largest request head the server reads.
const MAX_HEAD: usize = 64 * 1024;

/// Starts the server on a free loopback port: its base URL and what it saw.
async fn raw_halo() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_one(stream, log.clone()));
        }
    });
    (base, seen)
}

/// Reads one request (head, then exactly `Content-Length` body bytes), answers, closes.
async fn serve_one(mut stream: TcpStream, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        if buffer.len() > MAX_HEAD {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_string();
    let target = request_line.next().unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_string();
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let content_length = header("content-length").and_then(|v| v.parse::<usize>().ok());
    let transfer_encoding = header("transfer-encoding");
    // No Content-Length: an empty body, whatever follows (chunked is not decoded).
    let wanted = content_length.unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < wanted {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(wanted);
    let body = String::from_utf8_lossy(&body).into_owned();

    let (status, answer) = match (method.as_str(), path.to_ascii_lowercase().as_str()) {
        ("GET", "/api/authinfo") => ("404 Not Found", "{}".to_string()),
        ("POST", "/auth/token") => {
            let form: Vec<(String, String)> = body
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let has = |k: &str, v: &str| form.iter().any(|(fk, fv)| fk == k && fv == v);
            if has("grant_type", "client_credentials") && has("client_id", "wire-id") {
                (
                    "200 OK",
                    r#"{"access_token":"wire-token","token_type":"Bearer","expires_in":3600,"scope":"all"}"#
                        .to_string(),
                )
            } else {
                (
                    "400 Bad Request",
                    r#"{"error":"unsupported_grant_type"}"#.to_string(),
                )
            }
        }
        ("GET", "/api/status")
            if header("authorization").as_deref() == Some("Bearer wire-token") =>
        {
            (
                "200 OK",
                r#"[{"id":1,"name":"New"},{"id":9,"name":"Closed"}]"#.to_string(),
            )
        }
        ("GET", "/api/status") => ("401 Unauthorized", "{}".to_string()),
        _ => ("404 Not Found", "{}".to_string()),
    };
    seen.lock().unwrap().push(Seen {
        method,
        path,
        content_length,
        transfer_encoding,
        body,
    });
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The token request's form reaches a server that reads only `Content-Length`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_sent_with_content_length_not_chunked() {
    let (base, seen) = raw_halo().await;
    let settings = vec![
        ("base_url".to_string(), base),
        ("client_id".to_string(), "wire-id".to_string()),
        ("client_secret".to_string(), "wire-secret".to_string()),
    ];
    let mut session = open(settings).await.expect("session opens");
    let statuses = ok(session.list_statuses().await);
    let names: Vec<&str> = statuses.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["New", "Closed"]);

    let seen = seen.lock().unwrap().clone();
    let token = seen
        .iter()
        .find(|s| s.method == "POST" && s.path == "/auth/token")
        .expect("a token request");
    assert_eq!(
        token.content_length,
        Some(token.body.len()),
        "the body's length is declared: {token:?}"
    );
    assert!(token.body.contains("grant_type=client_credentials"));
    assert_eq!(token.transfer_encoding, None, "{token:?}");
    for request in seen.iter().filter(|s| s.method == "GET") {
        assert_eq!(request.transfer_encoding, None, "{request:?}");
        assert_eq!(request.body, "", "{request:?}");
    }
}
