//! String matchers with Falco's semantics: fnmatch-style glob and path-prefix (`pmatch`).

/// A glob pattern (`*`, `?`, `[a-z]`, `[!x]`, `\` escapes), matched against the whole value;
/// `*` crosses `/` as fnmatch without `FNM_PATHNAME` does.
#[derive(Clone, Debug)]
pub struct Glob {
    pat: Box<[u8]>,
    case_insensitive: bool,
}

impl Glob {
    /// Compiles a pattern.
    pub fn new(pat: &[u8], case_insensitive: bool) -> Glob {
        let pat = if case_insensitive {
            pat.to_ascii_lowercase()
        } else {
            pat.to_vec()
        };
        Glob {
            pat: pat.into_boxed_slice(),
            case_insensitive,
        }
    }

    /// True when `s` matches the whole pattern.
    pub fn matches(&self, s: &[u8]) -> bool {
        if self.case_insensitive {
            glob_match(&self.pat, &s.to_ascii_lowercase())
        } else {
            glob_match(&self.pat, s)
        }
    }
}

fn class_match(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    // pat starts after '['; returns (matched, bytes consumed including ']').
    let mut i = 0;
    let negate = matches!(pat.first(), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        let mut lo = pat[i];
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if lo == b'\\' && i + 1 < pat.len() {
            i += 1;
            lo = pat[i];
        }
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            let hi = pat[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, used)) = class_match(&p[pi + 1..], s[si]) {
                        if ok {
                            pi += 1 + used;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == s[si] {
                        pi += 2;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[si] {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Path-prefix matching for `pmatch`: a value matches a prefix when it equals it or continues
/// it with a `/`.
#[derive(Clone, Debug, Default)]
pub struct PathPrefixes {
    prefixes: Vec<Box<[u8]>>,
    /// Prefixes with wildcards (`*`, `?`, `[...]`), one glob per path component: libs
    /// matches them component by component, a `*` never crossing a `/`.
    wild: Vec<Vec<Glob>>,
}

impl PathPrefixes {
    /// Builds the set from the listed paths (trailing slashes ignored).
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut prefixes = Vec::new();
        let mut wild = Vec::new();
        for p in paths {
            let mut v = p.to_vec();
            while v.len() > 1 && v.last() == Some(&b'/') {
                v.pop();
            }
            if v.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                wild.push(
                    v.split(|&c| c == b'/')
                        .map(|c| Glob::new(c, false))
                        .collect(),
                );
            } else {
                prefixes.push(v.into_boxed_slice());
            }
        }
        PathPrefixes { prefixes, wild }
    }

    /// True when `path` is under (or equal to) one of the prefixes.
    pub fn matches(&self, path: &[u8]) -> bool {
        self.prefixes.iter().any(|p| {
            path.starts_with(p)
                && (path.len() == p.len() || p.as_ref() == b"/" || path[p.len()] == b'/')
        }) || self.wild.iter().any(|globs| {
            let mut parts = path.split(|&c| c == b'/');
            globs
                .iter()
                .all(|g| parts.next().is_some_and(|part| g.matches(part)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.log", "/var/log/a.log", true),
            ("/tmp/*", "/tmp/a/b", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ];
        for (p, s, want) in cases {
            assert_eq!(
                Glob::new(p.as_bytes(), false).matches(s.as_bytes()),
                *want,
                "{p} vs {s}"
            );
        }
        assert!(Glob::new(b"*.LOG", true).matches(b"x.log"));
    }

    #[test]
    fn pmatch_cases() {
        let set = PathPrefixes::new([&b"/usr/bin/"[..], b"/etc"]);
        for (s, want) in [
            ("/usr/bin", true),
            ("/usr/bin/ls", true),
            ("/usr/binx", false),
            ("/etc/passwd", true),
            ("/et", false),
        ] {
            assert_eq!(set.matches(s.as_bytes()), want, "{s}");
        }
        let set = PathPrefixes::new([&b"/opt/*/sub"[..], b"/v?r/l[o]g"]);
        for (s, want) in [
            ("/opt/dir/sub/file", true),
            ("/opt/dir/sub", true),
            ("/opt/dir/subx", false),
            ("/opt/a/b/sub", false),
            ("/var/log/x", true),
            ("/var/lag", false),
        ] {
            assert_eq!(set.matches(s.as_bytes()), want, "{s}");
        }
    }
}
