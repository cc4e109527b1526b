//! Accepting literal `"` in request targets. Entra captures show filters such as
//! `?filter=userName+eq+"dale.mohr%40romaguera.uk"` with unencoded quotes (ENTRA.md 1.0 item 6), which the
//! `http` crate rejects before any handler runs. [`LenientListener`] wraps the TCP listener and rewrites `"` to
//! `%22` in HTTP/1 request lines only, following `Content-Length` framing so request bodies pass through
//! untouched; after a chunked body it stops rewriting for the rest of that connection. It also sets
//! `TCP_NODELAY`, since answers are small and written whole.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Longest header line the rewriter tracks; a longer one switches the connection to pass-through.
const MAX_LINE: usize = 16 * 1024;

/// A TCP listener whose connections accept literal quotes in request targets.
pub(crate) struct LenientListener(pub TcpListener);

impl axum::serve::Listener for LenientListener {
    type Io = LenientIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    // Best effort: a socket without NODELAY still works.
                    let _ = stream.set_nodelay(true);
                    return (LenientIo::new(stream), addr);
                }
                // Accept errors (e.g. too many open files) are transient: back off briefly and retry.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    RequestLine { seen: bool },
    Headers,
    Body(u64),
    Raw,
}

/// The rewriting state machine over the bytes a client sends.
#[derive(Debug)]
struct Rewriter {
    state: State,
    line: Vec<u8>,
    content_length: u64,
    chunked: bool,
}

impl Rewriter {
    fn new() -> Self {
        Rewriter { state: State::RequestLine { seen: false }, line: Vec::new(), content_length: 0, chunked: false }
    }

    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            match self.state {
                State::Raw => {
                    out.extend_from_slice(input);
                    return;
                }
                State::Body(rem) => {
                    let take = usize::try_from(rem).unwrap_or(usize::MAX).min(input.len());
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    let rem = rem - take as u64;
                    self.state = if rem == 0 { State::RequestLine { seen: false } } else { State::Body(rem) };
                }
                State::RequestLine { seen } => {
                    let b = input[0];
                    input = &input[1..];
                    match b {
                        b'"' => out.extend_from_slice(b"%22"),
                        _ => out.push(b),
                    }
                    self.state = match b {
                        // Empty lines before a request line are allowed (RFC 9112 §2.2).
                        b'\n' if seen => State::Headers,
                        b'\r' | b'\n' => State::RequestLine { seen },
                        _ => State::RequestLine { seen: true },
                    };
                }
                State::Headers => {
                    let b = input[0];
                    input = &input[1..];
                    out.push(b);
                    if b != b'\n' {
                        self.line.push(b);
                        if self.line.len() > MAX_LINE {
                            self.state = State::Raw;
                        }
                        continue;
                    }
                    self.end_header_line();
                }
            }
        }
    }

    fn end_header_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        if text.is_empty() {
            self.state = match (self.chunked, self.content_length) {
                (true, _) => State::Raw,
                (false, 0) => State::RequestLine { seen: false },
                (false, n) => State::Body(n),
            };
            self.content_length = 0;
            self.chunked = false;
            return;
        }
        let Some((name, value)) = text.split_once(':') else { return };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse() {
                Ok(n) => self.content_length = n,
                // hyper rejects the request; stop interpreting this connection.
                Err(_) => self.state = State::Raw,
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
            self.chunked = true;
        }
    }
}

/// A connection whose incoming request lines are rewritten; writes pass through.
pub(crate) struct LenientIo<S> {
    inner: S,
    rewriter: Rewriter,
    out: Vec<u8>,
    pos: usize,
}

impl<S> LenientIo<S> {
    fn new(inner: S) -> Self {
        LenientIo { inner, rewriter: Rewriter::new(), out: Vec::new(), pos: 0 }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LenientIo<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.pos);
                buf.put_slice(&this.out[this.pos..this.pos + n]);
                this.pos += n;
                return Poll::Ready(Ok(()));
            }
            this.out.clear();
            this.pos = 0;
            let mut tmp = [0u8; 8192];
            let mut read = ReadBuf::new(&mut tmp);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.rewriter.feed(read.filled(), &mut this.out),
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LenientIo<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite_in_chunks(input: &[u8], chunk: usize) -> String {
        let mut r = Rewriter::new();
        let mut out = Vec::new();
        for part in input.chunks(chunk.max(1)) {
            r.feed(part, &mut out);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn quotes_in_request_lines_only() {
        let input = b"GET /Users?filter=userName+eq+\"a\" HTTP/1.1\r\nHost: x\r\nX-Q: \"h\"\r\n\r\n\
POST /Users HTTP/1.1\r\nContent-Length: 16\r\n\r\n{\"userName\":\"q\"}\
GET /Users?filter=x+eq+\"b\" HTTP/1.1\r\n\r\n";
        let expected = "GET /Users?filter=userName+eq+%22a%22 HTTP/1.1\r\nHost: x\r\nX-Q: \"h\"\r\n\r\n\
POST /Users HTTP/1.1\r\nContent-Length: 16\r\n\r\n{\"userName\":\"q\"}\
GET /Users?filter=x+eq+%22b%22 HTTP/1.1\r\n\r\n";
        for chunk in [1, 2, 7, 1000] {
            assert_eq!(rewrite_in_chunks(input, chunk), expected, "chunk size {chunk}");
        }
    }

    #[test]
    fn chunked_bodies_switch_to_pass_through() {
        let input =
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\"a\"\r\n0\r\n\r\nGET /\"y\" HTTP/1.1\r\n\r\n";
        assert_eq!(rewrite_in_chunks(input, 5), String::from_utf8_lossy(input));
    }

    #[test]
    fn leading_empty_lines_are_skipped() {
        assert_eq!(rewrite_in_chunks(b"\r\nGET /\"a\" HTTP/1.1\r\n\r\n", 3), "\r\nGET /%22a%22 HTTP/1.1\r\n\r\n");
    }
}
