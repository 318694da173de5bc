//! Path resolution as libsinsp does it: relative paths are joined to the cwd or the dirfd's
//! path, then `.`, `..` and repeated slashes are removed.

/// Joins `rel` to `base` (ignored when `rel` is absolute) and normalizes the result, which
/// never ends with a slash (except `/` itself).
pub fn resolve(base: &str, rel: &[u8]) -> String {
    // Valid UTF-8 (nearly every path) is checked by the faster `from_utf8`.
    let rel = match std::str::from_utf8(rel) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(rel),
    };
    // One buffer, `/c1/c2...`: `..` cuts the last component, as popping a stack of the
    // components of `base/rel` would.
    let mut s = String::with_capacity(base.len() + rel.len() + 1);
    if !rel.starts_with('/') {
        push_components(&mut s, base);
    }
    push_components(&mut s, &rel);
    if s.is_empty() {
        s.push('/');
    }
    s
}

fn push_components(s: &mut String, path: &str) {
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if let Some(i) = s.rfind('/') {
                    s.truncate(i);
                }
            }
            c => {
                s.push('/');
                s.push_str(c);
            }
        }
    }
}

/// The directory part of a path (`/etc` for `/etc/passwd`, `/` for `/x`).
pub fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => "",
    }
}

/// The last component of a path.
pub fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves() {
        let cases: &[(&str, &str, &str)] = &[
            ("/root", "x", "/root/x"),
            ("/root/", "x", "/root/x"),
            ("/root", "/etc//passwd", "/etc/passwd"),
            ("/a/b", "../c/./d", "/a/c/d"),
            ("/", "..", "/"),
            ("/tmp", "dir/", "/tmp/dir"),
            ("/a/b/", "../../..", "/"),
            ("/a/b", "..x/.y", "/a/b/..x/.y"),
            ("", "x/../../y", "/y"),
        ];
        for &(base, rel, want) in cases {
            assert_eq!(resolve(base, rel.as_bytes()), want, "{base} + {rel}");
        }
        assert_eq!(dirname("/etc/passwd"), "/etc");
        assert_eq!(dirname("/x"), "/");
        assert_eq!(basename("/etc/passwd"), "passwd");
    }
}
