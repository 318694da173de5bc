//! The k8saudit plugin's file input: `open_params` naming a file (one payload per line: an
//! `Event`, or an `EventList`) or a folder (its files oldest first, as the plugin orders
//! them), read to the end.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest line read: a longer one is skipped and reported (the webhook's default body limit,
/// so any batch kube-apiserver could post also reads from a file).
pub const MAX_LINE: usize = 12 * 1024 * 1024;

/// What `open_params` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenParams {
    /// `http://host:port/path` or `https://...`: the webhook listener.
    Webhook {
        /// `host:port` (`:9765` means every address).
        address: String,
        /// The endpoint path (`/k8s-audit`).
        path: String,
        /// `https`.
        tls: bool,
    },
    /// A file or folder path, read once to its end.
    Path(PathBuf),
    /// `file://path`: the file followed as it grows, from its end at start, reopened from
    /// its start when it is rotated (replaced or truncated), as the plugin's file watch does.
    Follow(PathBuf),
}

impl OpenParams {
    /// Reads `open_params` as the plugin does: a URL with scheme `http`/`https`, `file://`
    /// followed by a path, or a bare path.
    ///
    /// # Errors
    /// Another scheme, or a URL without a host part.
    pub fn parse(s: &str) -> Result<OpenParams, String> {
        let s = s.trim();
        for (scheme, tls) in [("http://", false), ("https://", true)] {
            if let Some(rest) = s.strip_prefix(scheme) {
                let (address, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, "/"),
                };
                if address.is_empty() {
                    return Err(format!("open_params {s:?}: no address"));
                }
                return Ok(OpenParams::Webhook {
                    address: address.to_string(),
                    path: path.to_string(),
                    tls,
                });
            }
        }
        if let Some(rest) = s.strip_prefix("file://") {
            if rest.is_empty() {
                return Err(format!("open_params {s:?}: no path"));
            }
            return Ok(OpenParams::Follow(PathBuf::from(rest)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "open_params {s:?}: scheme \"{scheme}\" is not supported"
            ));
        }
        if s.is_empty() {
            return Err(
                "open_params is empty: give a file, a folder or http://:9765/k8s-audit".into(),
            );
        }
        Ok(OpenParams::Path(PathBuf::from(s)))
    }
}

/// Follows a file as it grows: [`Follower::poll`] returns the whole lines appended since the
/// last call (a line still being written waits for its newline), reopening the file from its
/// start when it was replaced (another inode) or truncated.
pub struct Follower {
    path: PathBuf,
    file: Option<(File, u64)>,
    offset: u64,
    pending: Vec<u8>,
}

impl Follower {
    /// Starts at the current end of `path` (nothing before the start is read); a file that
    /// does not exist yet is read from its start once created.
    pub fn new(path: &Path) -> Follower {
        let mut f = Follower {
            path: path.to_path_buf(),
            file: None,
            offset: 0,
            pending: Vec::new(),
        };
        if let Ok(file) = File::open(path) {
            if let Ok(m) = file.metadata() {
                use std::os::unix::fs::MetadataExt;
                f.offset = m.len();
                f.file = Some((file, m.ino()));
            }
        }
        f
    }

    /// The lines completed since the last call, at most `max_bytes` read per call.
    ///
    /// # Errors
    /// A read error of an open file.
    pub fn poll(&mut self, max_bytes: usize) -> std::io::Result<Vec<Line>> {
        use std::io::{Seek, SeekFrom};
        use std::os::unix::fs::MetadataExt;
        let now = std::fs::metadata(&self.path).ok();
        let rotated = match (&self.file, &now) {
            (None, Some(_)) => true,
            (Some((_, ino)), Some(m)) => m.ino() != *ino || m.len() < self.offset,
            _ => false,
        };
        if rotated {
            // What the old file still held after our offset is read first, then the new one.
            let mut out = Vec::new();
            if self.file.is_some() {
                out = self.read_more(max_bytes)?;
            }
            self.file = File::open(&self.path)
                .ok()
                .and_then(|f| f.metadata().ok().map(|m| (f, m.ino())));
            self.offset = 0;
            self.pending.clear();
            return Ok(out);
        }
        let Some((file, _)) = self.file.as_mut() else {
            return Ok(Vec::new());
        };
        file.seek(SeekFrom::Start(self.offset))?;
        self.read_more(max_bytes)
    }

    fn read_more(&mut self, max_bytes: usize) -> std::io::Result<Vec<Line>> {
        let Some((file, _)) = self.file.as_mut() else {
            return Ok(Vec::new());
        };
        let mut buf = Vec::new();
        let n = file.take(max_bytes as u64).read_to_end(&mut buf)?;
        self.offset += n as u64;
        let mut out = Vec::new();
        let mut rest = &buf[..];
        while let Some(i) = rest.iter().position(|&c| c == b'\n') {
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&rest[..i]);
            rest = &rest[i + 1..];
            if line.len() > MAX_LINE {
                out.push(Line::TooLong(line.len()));
            } else {
                out.push(Line::Text(line));
            }
        }
        // A line still being written; one past the limit is dropped as it grows.
        if self.pending.len() + rest.len() > MAX_LINE {
            let n = self.pending.len() + rest.len();
            self.pending.clear();
            out.push(Line::TooLong(n));
        } else {
            self.pending.extend_from_slice(rest);
        }
        Ok(out)
    }
}

/// One line of the input.
#[derive(Debug)]
pub enum Line {
    /// A line's bytes, without its newline.
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`], skipped.
    TooLong(usize),
}

/// The lines of a file or of a folder's files.
pub struct LineReader {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<BufReader<File>>,
}

impl LineReader {
    /// Opens a file, or lists a folder's files oldest first.
    ///
    /// # Errors
    /// The path does not exist or cannot be read.
    pub fn open(path: &Path) -> std::io::Result<LineReader> {
        let meta = std::fs::metadata(path)?;
        let files = if meta.is_dir() {
            let mut v: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                .map(|e| {
                    let t = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(std::time::UNIX_EPOCH);
                    (t, e.path())
                })
                .collect();
            v.sort();
            v.into_iter().map(|(_, p)| p).collect()
        } else {
            // Opened now, so a file that cannot be read fails at start.
            File::open(path)?;
            vec![path.to_path_buf()]
        };
        Ok(LineReader {
            files: files.into_iter(),
            current: None,
        })
    }

    /// The next line, `None` at the end of the last file.
    ///
    /// # Errors
    /// A read error.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let Some(r) = self.current.as_mut() else {
                match self.files.next() {
                    Some(p) => {
                        self.current = Some(BufReader::new(File::open(p)?));
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            let mut buf = Vec::new();
            let n = r
                .by_ref()
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)?;
            if n == 0 {
                self.current = None;
                continue;
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
                return Ok(Some(Line::Text(buf)));
            }
            if buf.len() > MAX_LINE {
                // Skip the rest of the line.
                let mut skipped = buf.len();
                loop {
                    let chunk = r.fill_buf()?;
                    if chunk.is_empty() {
                        break;
                    }
                    match chunk.iter().position(|&c| c == b'\n') {
                        Some(i) => {
                            skipped += i;
                            r.consume(i + 1);
                            break;
                        }
                        None => {
                            let l = chunk.len();
                            skipped += l;
                            r.consume(l);
                        }
                    }
                }
                return Ok(Some(Line::TooLong(skipped)));
            }
            // The last line of a file, without a newline.
            return Ok(Some(Line::Text(buf)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_params() {
        assert_eq!(
            OpenParams::parse("http://:9765/k8s-audit"),
            Ok(OpenParams::Webhook {
                address: ":9765".into(),
                path: "/k8s-audit".into(),
                tls: false
            })
        );
        assert!(matches!(
            OpenParams::parse("https://0.0.0.0:9765/x"),
            Ok(OpenParams::Webhook { tls: true, .. })
        ));
        assert_eq!(
            OpenParams::parse("file:///var/log/audit.log"),
            Ok(OpenParams::Follow("/var/log/audit.log".into()))
        );
        assert_eq!(
            OpenParams::parse(" /var/log/audit.log "),
            Ok(OpenParams::Path("/var/log/audit.log".into()))
        );
        assert!(OpenParams::parse("ftp://x/y").is_err());
        assert!(OpenParams::parse("").is_err());
    }

    #[test]
    fn lines_and_long_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        let long = "x".repeat(MAX_LINE + 10);
        std::fs::write(&p, format!("one\n{long}\n\ntwo")).unwrap();
        let mut r = LineReader::open(&p).unwrap();
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text(t)) if t == b"one"));
        assert!(matches!(r.next_line().unwrap(), Some(Line::TooLong(n)) if n == MAX_LINE + 10));
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text(t)) if t.is_empty()));
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text(t)) if t == b"two"));
        assert!(r.next_line().unwrap().is_none());
        assert!(LineReader::open(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn follow_from_the_end_through_rotation() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.log");
        std::fs::write(&p, "before\n").unwrap();
        let mut f = Follower::new(&p);
        let texts = |v: Vec<Line>| -> Vec<String> {
            v.into_iter()
                .map(|l| match l {
                    Line::Text(t) => String::from_utf8(t).unwrap(),
                    Line::TooLong(n) => format!("<{n}>"),
                })
                .collect()
        };
        assert!(f.poll(1 << 20).unwrap().is_empty());
        let mut w = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        w.write_all(b"one\ntw").unwrap();
        assert_eq!(texts(f.poll(1 << 20).unwrap()), ["one"]);
        w.write_all(b"o\n").unwrap();
        assert_eq!(texts(f.poll(1 << 20).unwrap()), ["two"]);
        // Rotated: renamed away, a new file in its place, read from its start.
        std::fs::rename(&p, dir.path().join("audit.log.1")).unwrap();
        w.write_all(b"three\n").unwrap();
        std::fs::write(&p, "four\n").unwrap();
        assert_eq!(texts(f.poll(1 << 20).unwrap()), ["three"]);
        assert_eq!(texts(f.poll(1 << 20).unwrap()), ["four"]);
        // Truncated in place.
        std::fs::write(&p, "").unwrap();
        assert!(f.poll(1 << 20).unwrap().is_empty());
        std::fs::write(&p, "five\n").unwrap();
        assert_eq!(texts(f.poll(1 << 20).unwrap()), ["five"]);
    }
}
