/*!
Managed mode's bookkeeping: the run's prefix and password, the [`Registry`] of everything the
suite created, and its removal (`users.delete`, `groups.delete`, `channels.delete`,
`teams.delete`), rooms before teams before users. The runner removes what a check created right
after the check (also when its body failed or panicked: panics are caught before), and a
[`Janitor`] sweeps whatever is left when it is dropped at the end of the run, so an early return
or a panic in the runner does not skip the cleanup either. `--keep` leaves the data; the report
lists every item and whether its removal succeeded. What a check sends to create data is in
[`crate::companion`].
*/

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::json;

use crate::http::{snippet, Http, Req};
use crate::vocabulary::User;

/// What managed mode knows during a run.
#[derive(Debug, Clone)]
pub struct Managed {
    /// The administrator who creates and removes the data.
    pub admin: User,
    /// Every name the suite creates starts with it, e.g. `conf-k3x9qa-`.
    pub prefix: String,
    /// The password of every user the suite creates in this run: random, never derived from
    /// what a report shows.
    pub password: String,
    pub keep: bool,
    pub registry: Registry,
}

/// One thing the suite created.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Created {
    /// `user`, `group`, `channel` or `team`.
    pub kind: &'static str,
    pub name: String,
    pub id: String,
    /// The check that created it.
    pub check: String,
    /// Whether it was removed (always false with `--keep`).
    pub removed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_error: Option<String>,
}

/// The things created so far, shared by the run.
#[derive(Debug, Clone, Default)]
pub struct Registry(Arc<Mutex<Vec<Created>>>);

impl Registry {
    pub fn add(&self, kind: &'static str, name: &str, id: &str, check: &str) {
        self.lock().push(Created {
            kind,
            name: name.to_owned(),
            id: id.to_owned(),
            check: check.to_owned(),
            removed: false,
            cleanup_error: None,
        });
    }

    pub fn items(&self) -> Vec<Created> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Created>> {
        // A panic while the lock was held leaves the list usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The report's account of managed mode.
#[derive(Debug, Clone, Serialize)]
pub struct ManagedReport {
    pub prefix: String,
    pub keep: bool,
    pub created: Vec<Created>,
    /// Every item removed (false with `--keep`, or when a removal failed).
    pub cleanup_succeeded: bool,
}

/// A run-unique prefix: `conf-` and six random lowercase letters or digits.
pub fn random_prefix() -> String {
    format!(
        "conf-{}-",
        crate::random::string(6, b"abcdefghijklmnopqrstuvwxyz0123456789")
    )
}

/// A random password for the users the suite creates.
pub fn random_password() -> String {
    format!(
        "Cf-{}",
        crate::random::string(24, crate::random::TOKEN_ALPHABET)
    )
}

/// `POST /api/v1/users.create` of a normal user who joins no default channel.
pub fn users_create(username: &str, name: &str, password: &str) -> Req {
    Req::method("POST", "/api/v1/users.create").json(json!({
        "email": format!("{username}@example.org"),
        "name": name,
        "password": password,
        "username": username,
        "joinDefaultChannels": false,
    }))
}

/// The request that removes a created item.
fn removal(kind: &str, id: &str) -> Req {
    let (path, body) = match kind {
        "user" => ("/api/v1/users.delete", json!({ "userId": id })),
        "group" => ("/api/v1/groups.delete", json!({ "roomId": id })),
        "channel" => ("/api/v1/channels.delete", json!({ "roomId": id })),
        _ => ("/api/v1/teams.delete", json!({ "teamId": id })),
    };
    Req::method("POST", path).json(body)
}

/// Records a created item in the run's registry, and as pending for a forced exit, with the
/// curl line that removes it (as the admin, secrets as shell variables).
pub fn record_created(
    http: &Http,
    managed: &Managed,
    kind: &'static str,
    name: &str,
    id: &str,
    check: &str,
) {
    managed.registry.add(kind, name, id, check);
    let req = removal(kind, id)
        .header("X-Auth-Token", &managed.admin.auth_token)
        .header("X-User-Id", &managed.admin.user_id);
    crate::interrupt::pending(
        &format!("{kind} {id}"),
        format!("{kind} {name} ({id})"),
        http.curl(&req),
    );
}

/// Removes the items of `check` (all items when `None`) not removed yet, newest first
/// (channels before their team, rooms before users). Sends as the admin through `send`.
pub fn remove_created(
    managed: &Managed,
    check: Option<&str>,
    send: impl FnMut(Req, &User) -> Result<(u16, String), String>,
) {
    remove_items(managed, &not_removed(managed, check), send);
}

/// The registry positions of the items of `check` (all items when `None`) not removed yet.
pub fn not_removed(managed: &Managed, check: Option<&str>) -> Vec<usize> {
    managed
        .registry
        .lock()
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.removed && check.is_none_or(|id| c.check == id))
        .map(|(i, _)| i)
        .collect()
}

/// The registry positions of the items of `check` named under `prefix`, not removed yet.
pub fn not_removed_under(managed: &Managed, check: &str, prefix: &str) -> Vec<usize> {
    managed
        .registry
        .lock()
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.removed && c.check == check && c.name.starts_with(prefix))
        .map(|(i, _)| i)
        .collect()
}

/// Removes the items at these registry positions, as [`remove_created`] does.
pub fn remove_items(
    managed: &Managed,
    items: &[usize],
    mut send: impl FnMut(Req, &User) -> Result<(u16, String), String>,
) {
    if managed.keep {
        return;
    }
    let mut pending: Vec<(usize, Created)> = {
        let list = managed.registry.lock();
        items
            .iter()
            .filter_map(|&i| list.get(i).filter(|c| !c.removed).map(|c| (i, c.clone())))
            .collect()
    };
    // Rooms first (team channels before their team), users last; newest first within a kind.
    pending.sort_by_key(|(i, c)| {
        let rank = match c.kind {
            "channel" | "group" => 0,
            "team" => 1,
            _ => 2,
        };
        (rank, std::cmp::Reverse(*i))
    });
    for (i, c) in pending {
        let req = removal(c.kind, &c.id);
        let path = req.path.clone();
        let outcome = send(req, &managed.admin);
        let mut list = managed.registry.lock();
        match outcome {
            Ok((200, _)) => {
                list[i].removed = true;
                list[i].cleanup_error = None;
                crate::interrupt::undone(&format!("{} {}", c.kind, c.id));
            }
            Ok((status, text)) => {
                list[i].cleanup_error = Some(format!("{path} answered {status}: {text}"))
            }
            Err(e) => list[i].cleanup_error = Some(format!("{path} failed: {e}")),
        }
    }
}

/// Sweeps what is left when dropped (the end of the run, or an unwinding runner).
pub struct Janitor {
    pub http: Http,
    pub managed: Managed,
    done: bool,
}

impl Janitor {
    pub fn new(http: Http, managed: Managed) -> Self {
        Self {
            http,
            managed,
            done: false,
        }
    }

    fn sweep(&mut self) {
        let http = &mut self.http;
        remove_created(&self.managed, None, |req, admin| {
            send_as(http, req, admin, "(managed cleanup)")
        });
        self.done = true;
    }

    /// Sweeps now and says what was created and removed.
    pub fn finish(mut self) -> ManagedReport {
        self.sweep();
        let created = self.managed.registry.items();
        ManagedReport {
            prefix: self.managed.prefix.clone(),
            keep: self.managed.keep,
            cleanup_succeeded: !self.managed.keep && created.iter().all(|c| c.removed),
            created,
        }
    }
}

impl Drop for Janitor {
    fn drop(&mut self) {
        if !self.done {
            self.sweep();
        }
    }
}

fn send_as(http: &mut Http, req: Req, user: &User, label: &str) -> Result<(u16, String), String> {
    let req = req
        .header("X-Auth-Token", &user.auth_token)
        .header("X-User-Id", &user.user_id);
    let (_, result) = http.send(&req, label);
    result
        .map(|r| (r.status, snippet(&r.text(), 200)))
        .map_err(|e| e.message)
}
