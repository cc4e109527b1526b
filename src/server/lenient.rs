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

    /// Rewrites `input` into `out` a line at a time (bodies and pass-through in one copy each).
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
                    let (part, rest, ended) = split_line(input);
                    input = rest;
                    let mut rest = part;
                    while let Some(quote) = memchr::memchr(b'"', rest) {
                        out.extend_from_slice(&rest[..quote]);
                        out.extend_from_slice(b"%22");
                        rest = &rest[quote + 1..];
                    }
                    out.extend_from_slice(rest);
                    // Empty lines before a request line are allowed (RFC 9112 §2.2).
                    let seen = seen || part.iter().any(|b| !matches!(b, b'\r' | b'\n'));
                    self.state = if ended && seen { State::Headers } else { State::RequestLine { seen } };
                }
                State::Headers => {
                    let (part, rest, ended) = split_line(input);
                    input = rest;
                    out.extend_from_slice(part);
                    if !ended {
                        self.line.extend_from_slice(part);
                        if self.line.len() > MAX_LINE {
                            self.state = State::Raw;
                        }
                        continue;
                    }
                    let content = &part[..part.len() - 1];
                    if self.line.is_empty() {
                        self.end_header_line(content);
                    } else {
                        let mut line = std::mem::take(&mut self.line);
                        line.extend_from_slice(content);
                        if line.len() > MAX_LINE {
                            self.state = State::Raw;
                        } else {
                            self.end_header_line(&line);
                        }
                    }
                }
            }
        }
    }

    fn end_header_line(&mut self, line: &[u8]) {
        let text = line.strip_suffix(b"\r").unwrap_or(line);
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
        // Only two headers matter: skip the others on their first letter.
        if !matches!(text.first(), Some(b'c' | b'C' | b't' | b'T' | b' ' | b'\t')) {
            return;
        }
        let Some(colon) = memchr::memchr(b':', text) else { return };
        let (name, value) = (text[..colon].trim_ascii(), text[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            match std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                Some(n) => self.content_length = n,
                // hyper rejects the request; stop interpreting this connection.
                None => self.state = State::Raw,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            && value.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
        {
            self.chunked = true;
        }
    }
}

/// The bytes up to and including the next `\n` (or all of them), the rest, and whether a `\n` ended it.
fn split_line(input: &[u8]) -> (&[u8], &[u8], bool) {
    match memchr::memchr(b'\n', input) {
        Some(i) => (&input[..=i], &input[i + 1..], true),
        None => (input, &[], false),
    }
}

/// A connection whose incoming request lines are rewritten; writes pass through.
pub(crate) struct LenientIo<S> {
    inner: S,
    rewriter: Rewriter,
    /// Bytes read from the socket, before rewriting (allocated once per connection).
    raw: Box<[u8]>,
    out: Vec<u8>,
    pos: usize,
}

impl<S> LenientIo<S> {
    fn new(inner: S) -> Self {
        LenientIo { inner, rewriter: Rewriter::new(), raw: vec![0; 8192].into(), out: Vec::new(), pos: 0 }
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
            let mut read = ReadBuf::new(&mut this.raw);
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
    fn header_lines_split_across_reads_are_still_read() {
        let input = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n\"b\"GET /\"c\" HTTP/1.1\r\n\r\n";
        let expected = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n\"b\"GET /%22c%22 HTTP/1.1\r\n\r\n";
        for chunk in 1..input.len() {
            assert_eq!(rewrite_in_chunks(input, chunk), expected, "chunk size {chunk}");
        }
    }

    #[test]
    fn leading_empty_lines_are_skipped() {
        assert_eq!(rewrite_in_chunks(b"\r\nGET /\"a\" HTTP/1.1\r\n\r\n", 3), "\r\nGET /%22a%22 HTTP/1.1\r\n\r\n");
    }
}
