//! Users and groups: the capture's user list, or /etc/passwd and /etc/group when live.

use foldhash::HashMap;
use std::sync::Arc;

/// One user (bootstrap form too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// One group (bootstrap form too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupInfo {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: String,
}

/// Users by uid and groups by gid.
#[derive(Clone, Debug, Default)]
pub struct UserTable {
    users: HashMap<u32, Arc<UserInfo>>,
    groups: HashMap<u32, Arc<GroupInfo>>,
    /// Changes whenever a user or group may have changed (see [`super::next_generation`]).
    generation: u64,
}

impl UserTable {
    /// Builds the tables from lists; later entries replace earlier ones with the same id.
    pub fn new(users: Vec<UserInfo>, groups: Vec<GroupInfo>) -> UserTable {
        UserTable {
            users: users.into_iter().map(|u| (u.uid, Arc::new(u))).collect(),
            groups: groups.into_iter().map(|g| (g.gid, Arc::new(g))).collect(),
            generation: super::next_generation(),
        }
    }

    /// Equal at two times only when no user or group was added, removed or changed in between.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Reads `passwd` and `group` files (the host's are `/etc/passwd` and `/etc/group`).
    ///
    /// # Errors
    /// The I/O error of either file.
    pub fn from_files(
        passwd: &std::path::Path,
        group: &std::path::Path,
    ) -> std::io::Result<UserTable> {
        let p = std::fs::read_to_string(passwd)?;
        let g = std::fs::read_to_string(group)?;
        Ok(UserTable::new(parse_passwd(&p), parse_group(&g)))
    }

    /// The user `uid`.
    #[inline]
    pub fn user(&self, uid: u32) -> Option<&UserInfo> {
        self.users.get(&uid).map(|u| &**u)
    }

    /// The group `gid`.
    #[inline]
    pub fn group(&self, gid: u32) -> Option<&GroupInfo> {
        self.groups.get(&gid).map(|g| &**g)
    }

    /// The user `uid`, shared: what a snapshot keeps.
    pub fn user_shared(&self, uid: u32) -> Option<&Arc<UserInfo>> {
        self.users.get(&uid)
    }

    /// The group `gid`, shared: what a snapshot keeps.
    pub fn group_shared(&self, gid: u32) -> Option<&Arc<GroupInfo>> {
        self.groups.get(&gid)
    }

    /// Adds or replaces a user (`useradded` events).
    pub fn add_user(&mut self, u: UserInfo) {
        self.generation = super::next_generation();
        self.users.insert(u.uid, Arc::new(u));
    }

    /// Adds or replaces a group.
    pub fn add_group(&mut self, g: GroupInfo) {
        self.generation = super::next_generation();
        self.groups.insert(g.gid, Arc::new(g));
    }

    /// Removes a user.
    pub fn remove_user(&mut self, uid: u32) {
        self.generation = super::next_generation();
        self.users.remove(&uid);
    }

    /// Removes a group.
    pub fn remove_group(&mut self, gid: u32) {
        self.generation = super::next_generation();
        self.groups.remove(&gid);
    }
}

/// Parses passwd(5) lines; malformed lines are skipped.
pub fn parse_passwd(text: &str) -> Vec<UserInfo> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(UserInfo {
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                name: f[0].to_string(),
                homedir: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect()
}

/// Parses group(5) lines; malformed lines are skipped.
pub fn parse_group(text: &str) -> Vec<GroupInfo> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 3 {
                return None;
            }
            Some(GroupInfo {
                gid: f[2].parse().ok()?,
                name: f[0].to_string(),
            })
        })
        .collect()
}
