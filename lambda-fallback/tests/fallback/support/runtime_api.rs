//! A small stand-in for the AWS Lambda Runtime API (2018-06-01), enough to run the
//! real `bootstrap` binary on this machine: `GET /runtime/invocation/next` hands out
//! queued events (blocking while there are none, as AWS does), and the function's
//! `POST .../response` and `.../error` are recorded with the time they arrived.
//! Plain std networking on 127.0.0.1, one thread per connection, keep-alive.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the function posted for one invocation.
#[derive(Debug, Clone)]
pub struct Posted {
    pub request_id: String,
    /// `response` or `error`.
    pub outcome: String,
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<(String, String)>,
    first_poll: Option<Instant>,
    closed: bool,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    queue: Arc<(Mutex<Queue>, Condvar)>,
    posted: Receiver<Posted>,
    next_id: usize,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API on loopback");
        let addr = listener.local_addr().expect("address");
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let (tx, rx) = channel();
        let q = queue.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (q, tx) = (q.clone(), tx.clone());
                std::thread::spawn(move || serve(stream, q, tx));
            }
        });
        RuntimeApi { addr, queue, posted: rx, next_id: 0 }
    }

    /// Queue one invocation event; returns its request id.
    pub fn push(&mut self, event: String) -> String {
        self.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", self.next_id);
        let (m, cv) = &*self.queue;
        if let Ok(mut q) = m.lock() {
            q.events.push_back((id.clone(), event));
        }
        cv.notify_all();
        id
    }

    /// When the function first asked for an event (its init was over).
    pub fn first_poll(&self) -> Option<Instant> {
        self.queue.0.lock().ok().and_then(|q| q.first_poll)
    }

    /// Wait for the next posted result.
    pub fn wait(&self, timeout: Duration) -> Option<Posted> {
        self.posted.recv_timeout(timeout).ok()
    }

    /// Release pollers (they get no event; the function is killed by the caller).
    pub fn close(&self) {
        let (m, cv) = &*self.queue;
        if let Ok(mut q) = m.lock() {
            q.closed = true;
        }
        cv.notify_all();
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.close();
    }
}

fn serve(stream: TcpStream, queue: Arc<(Mutex<Queue>, Condvar)>, tx: Sender<Posted>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let (m, cv) = &*queue;
            let Ok(mut q) = m.lock() else { return };
            q.first_poll.get_or_insert_with(Instant::now);
            while q.events.is_empty() && !q.closed {
                q = match cv.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
            let Some((id, event)) = q.events.pop_front() else {
                return;
            };
            drop(q);
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0) + 900_000;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:000000000000:function:veer\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
                 content-length: {}\r\n\r\n{event}",
                event.len()
            )
        } else if method == "POST" && path.contains("/runtime/invocation/") {
            let rest = path.split("/runtime/invocation/").nth(1).unwrap_or("");
            let (id, outcome) = rest.split_once('/').unwrap_or((rest, ""));
            let _ = tx.send(Posted {
                request_id: id.to_string(),
                outcome: outcome.to_string(),
                body: String::from_utf8_lossy(&body).to_string(),
                at: Instant::now(),
            });
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"status\":\"OK\"}"
                .to_string()
        } else if method == "POST" && path.ends_with("/runtime/init/error") {
            let _ = tx.send(Posted {
                request_id: String::new(),
                outcome: "init/error".into(),
                body: String::from_utf8_lossy(&body).to_string(),
                at: Instant::now(),
            });
            "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_string()
        } else {
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_string()
        };
        if writer.write_all(reply.as_bytes()).and_then(|_| writer.flush()).is_err() {
            return;
        }
    }
}
