/*!
A loopback TCP proxy that delays every byte by a fixed time in each direction, so that
`cargo xtask bench` can measure the conformance suite as it runs against a distant server
without leaving the machine. Each direction of a connection has a reader, which stamps what it
reads with its arrival time, and a writer, which forwards each piece once its delay has passed:
latency is added, bandwidth is not limited and pieces keep their order.
*/

use std::{
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc,
    },
    thread,
    time::{Duration, Instant},
};

/// A running proxy; it stops accepting when dropped (open connections end with their peers).
pub struct DelayProxy {
    pub addr: SocketAddr,
    stopping: Arc<AtomicBool>,
}

impl DelayProxy {
    /// Listens on a free loopback port and forwards to `upstream`, `one_way` later each way.
    pub fn start(upstream: SocketAddr, one_way: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                for (from, to) in [(&client, &server), (&server, &client)] {
                    if let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) {
                        pipe(from, to, one_way);
                    }
                }
            }
        });
        Ok(Self { addr, stopping })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Forwards `from` to `to`, each piece `delay` after it arrived.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (pieces, delayed) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if pieces.send((Instant::now(), buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
        // Dropping `pieces` tells the writer the stream ended.
    });
    thread::spawn(move || {
        for (arrived, piece) in delayed {
            let due = arrived + delay;
            let now = Instant::now();
            if due > now {
                thread::sleep(due - now);
            }
            if to.write_all(&piece).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on a free loopback port, for one connection.
    fn echo_once() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => s.write_all(&buf[..n]).unwrap(),
                }
            }
        });
        addr
    }

    #[test]
    fn bytes_pass_both_ways_in_order_and_never_early() {
        let delay = Duration::from_millis(5);
        let proxy = DelayProxy::start(echo_once(), delay).unwrap();
        let mut s = TcpStream::connect(proxy.addr).unwrap();
        let sent = Instant::now();
        s.write_all(b"first ").unwrap();
        s.write_all(b"second").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        assert_eq!(back, "first second");
        // There and back again: at least the delay twice (a lower bound, not a timing).
        assert!(sent.elapsed() >= 2 * delay);
    }
}
