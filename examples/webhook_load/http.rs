//! A minimal HTTP/1.1 client over one keep-alive TCP connection: one request at a time, answers
//! read by `Content-Length`. Written by hand so the generator costs little CPU beside the server
//! it measures, and so that each task owns exactly one connection.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

pub struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    out: Vec<u8>,
    input: Vec<u8>,
}

impl Connection {
    pub fn new(addr: SocketAddr) -> Connection {
        Connection {
            addr,
            stream: None,
            out: Vec::with_capacity(8 * 1024),
            input: Vec::with_capacity(8 * 1024),
        }
    }

    /// Connects now (otherwise the first request does).
    pub async fn connect(&mut self) -> io::Result<()> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.input.clear();
        }
        Ok(())
    }

    /// `POST path` with a JSON body and the given extra header lines (each ending in CRLF).
    pub async fn post(&mut self, path: &str, headers: &str, body: &[u8]) -> io::Result<Response> {
        self.out.clear();
        self.out.extend_from_slice(b"POST ");
        self.out.extend_from_slice(path.as_bytes());
        self.out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.out.extend_from_slice(self.addr.to_string().as_bytes());
        self.out
            .extend_from_slice(b"\r\nContent-Type: application/json\r\nContent-Length: ");
        self.out
            .extend_from_slice(body.len().to_string().as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(headers.as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(body);
        self.exchange().await
    }

    pub async fn get(&mut self, path: &str) -> io::Result<Response> {
        self.out.clear();
        self.out.extend_from_slice(b"GET ");
        self.out.extend_from_slice(path.as_bytes());
        self.out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.out.extend_from_slice(self.addr.to_string().as_bytes());
        self.out.extend_from_slice(b"\r\n\r\n");
        self.exchange().await
    }

    async fn exchange(&mut self) -> io::Result<Response> {
        let result = self.try_exchange().await;
        if result.is_err() {
            // A broken connection is opened again by the next request.
            self.stream = None;
        }
        result
    }

    async fn try_exchange(&mut self) -> io::Result<Response> {
        self.connect().await?;
        let Some(stream) = self.stream.as_mut() else {
            return Err(io::Error::other("not connected"));
        };
        stream.write_all(&self.out).await?;
        let head_end = loop {
            if let Some(at) = find(&self.input, b"\r\n\r\n") {
                break at + 4;
            }
            if stream.read_buf(&mut self.input).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        };
        let head = std::str::from_utf8(&self.input[..head_end])
            .map_err(|_| invalid("the response head is not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| invalid("no status code"))?;
        let mut length = None;
        let mut close = false;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(invalid("chunked answers are not supported"));
            }
        }
        let length = length.ok_or_else(|| invalid("no Content-Length"))?;
        while self.input.len() < head_end + length {
            if stream.read_buf(&mut self.input).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let body = self.input[head_end..head_end + length].to_vec();
        self.input.drain(..head_end + length);
        if close {
            self.stream = None;
        }
        Ok(Response { status, body })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}
