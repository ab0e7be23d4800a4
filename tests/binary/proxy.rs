//! A TCP proxy for outage tests: 127.0.0.1 in front of a real server (PostgreSQL), switched
//! between passing traffic, refusing it (and cutting every open connection), and delaying it.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Up,
    Down,
    Slow(Duration),
}

struct Shared {
    mode: Mutex<Mode>,
    open: Mutex<Vec<TcpStream>>,
    stopped: AtomicBool,
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Starts passing traffic to `upstream` (host:port).
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Up),
            open: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        });
        let upstream = upstream.to_string();
        let state = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if state.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if *state.mode.lock().unwrap() == Mode::Down {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                {
                    let mut open = state.open.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let state = state.clone();
                    std::thread::spawn(move || pump(from, to, &state));
                }
            }
        });
        Proxy { port, shared }
    }

    /// Refuses new connections and cuts the open ones.
    pub fn down(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Down;
        self.cut();
    }

    pub fn up(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Up;
    }

    /// Holds every chunk this long before passing it on.
    pub fn slow(&self, delay: Duration) {
        *self.shared.mode.lock().unwrap() = Mode::Slow(delay);
    }

    /// Cuts every open connection (as a firewall dropping idle ones would) and stays up.
    pub fn cut(&self) {
        for stream in self.shared.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// `url` (a postgres:// URL to 127.0.0.1:5432 or localhost:5432) through this proxy.
    pub fn url(&self, url: &str) -> String {
        url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", self.port), 1)
            .replacen("localhost:5432", &format!("127.0.0.1:{}", self.port), 1)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, state: &Shared) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mode = *state.mode.lock().unwrap();
        match mode {
            Mode::Down => break,
            Mode::Slow(delay) => std::thread::sleep(delay),
            Mode::Up => {}
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
