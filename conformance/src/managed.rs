/*!
Managed mode: with admin credentials the suite creates the data a check needs through the
companion REST API (`users.create`, `login`, `users.setStatus`, `users.setActiveStatus`,
`groups.create`, `teams.create`, `channels.create` with `extraData.teamId`), every name carrying
the run's unique prefix (`conf-<random6>-`), and removes all of it again (`users.delete`,
`groups.delete`, `channels.delete`, `teams.delete`).

Everything created is recorded in a [`Registry`] shared by the run. The runner removes what a
check created right after the check (also when its body failed or panicked: panics are caught
before), and a [`Janitor`] sweeps whatever is left when it is dropped at the end of the run, so
an early return or a panic in the runner does not skip the cleanup either. `--keep` leaves the
data; the report lists every item and whether its removal succeeded.
*/

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::context::{Auth, Ctx, User};
use crate::http::{snippet, Http, Req};
use crate::model::Verdict;

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
    mut send: impl FnMut(Req, &User) -> Result<(u16, String), String>,
) {
    if managed.keep {
        return;
    }
    let mut pending: Vec<(usize, Created)> = managed
        .registry
        .lock()
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.removed && check.is_none_or(|id| c.check == id))
        .map(|(i, c)| (i, c.clone()))
        .collect();
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

/// A user the suite created and logged in as.
#[derive(Debug, Clone)]
pub struct MadeUser {
    pub user_id: String,
    pub auth_token: String,
    pub username: String,
}

/// A team the suite created.
#[derive(Debug, Clone)]
pub struct MadeTeam {
    pub team_id: String,
    /// The team's main room: the `_id` of its directory item.
    pub room_id: String,
    pub name: String,
}

impl MadeUser {
    /// Credentials to send a request as this user.
    pub fn auth(&self) -> Auth {
        Auth::Headers(vec![
            ("X-Auth-Token".to_owned(), self.auth_token.clone()),
            ("X-User-Id".to_owned(), self.user_id.clone()),
        ])
    }
}

impl Ctx<'_> {
    /// Managed mode's state, or a Skip.
    pub fn managed(&self) -> Result<Managed, Verdict> {
        self.session.managed.clone().ok_or_else(|| {
            Verdict::Skip(
                "not in managed mode: give admin credentials (--admin-username/--admin-password or --admin-user-id/--admin-auth-token)".into(),
            )
        })
    }

    /// A name for something this check creates: the run's prefix and `tag`.
    pub fn managed_name(&self, tag: &str) -> Result<String, Verdict> {
        Ok(format!("{}{tag}", self.managed()?.prefix))
    }

    /// Sends a companion-API request as `auth`; anything but 200 with `success: true` is an
    /// Error (the set-up failed, not the rule under test).
    pub fn companion(&mut self, req: Req, auth: &Auth) -> Result<Map<String, Value>, Verdict> {
        let what = format!("{} {}", req.method, req.path);
        let resp = self.send(req, auth)?;
        let value = self.json_of(&resp)?;
        match value {
            Value::Object(map)
                if resp.status == 200 && map.get("success") == Some(&Value::Bool(true)) =>
            {
                Ok(map)
            }
            other => Err(Verdict::Error(format!(
                "managed set-up: {what} answered {} {}",
                resp.status,
                snippet(&other.to_string(), 300)
            ))),
        }
    }

    /// The admin's credentials.
    pub fn admin_auth(&self) -> Result<Auth, Verdict> {
        let admin = self.managed()?.admin;
        Ok(Auth::Headers(vec![
            ("X-Auth-Token".to_owned(), admin.auth_token),
            ("X-User-Id".to_owned(), admin.user_id),
        ]))
    }

    /// Creates a user named `<prefix><tag>` (no default channels) and logs in as it.
    pub fn create_user(&mut self, tag: &str) -> Result<MadeUser, Verdict> {
        self.create_user_named(tag, &format!("Conformance {tag}"))
    }

    /// The password of every user the suite creates in this run.
    pub fn managed_password(&self) -> Result<String, Verdict> {
        Ok(self.managed()?.password)
    }

    /// Records what this check created (see [`record_created`]).
    fn created(&mut self, kind: &'static str, name: &str, id: &str) -> Result<(), Verdict> {
        let managed = self.managed()?;
        record_created(self.http, &managed, kind, name, id, &self.check_id);
        Ok(())
    }

    /// Creates a user named `<prefix><tag>` with this display name and logs in as it.
    pub fn create_user_named(&mut self, tag: &str, name: &str) -> Result<MadeUser, Verdict> {
        let managed = self.managed()?;
        let username = format!("{}{tag}", managed.prefix);
        let admin = self.admin_auth()?;
        let created = self.companion(users_create(&username, name, &managed.password), &admin)?;
        let id = created["user"]["_id"]
            .as_str()
            .ok_or_else(|| Verdict::Error("users.create gave no user._id".into()))?
            .to_owned();
        self.created("user", &username, &id)?;
        let auth_token = self.login_made(&username, tag)?;
        Ok(MadeUser {
            user_id: id,
            auth_token,
            username,
        })
    }

    /// Logs in as a user the suite made (`tag` names its token in reports); returns the token.
    pub fn login_made(&mut self, username: &str, tag: &str) -> Result<String, Verdict> {
        let password = self.managed_password()?;
        self.http
            .name_next_token(&format!("$TOKEN_{}", tag.replace(['-', '.'], "_")));
        let resp = self.send(
            Req::method("POST", "/api/v1/login")
                .json(json!({ "user": username, "password": password })),
            &Auth::None,
        )?;
        let login = self.json_of(&resp)?;
        let Some(token) = login["data"]["authToken"].as_str().map(str::to_owned) else {
            return Err(Verdict::Error(format!(
                "managed set-up: logging in as {username} answered {} without data.authToken",
                resp.status
            )));
        };
        Ok(token)
    }

    /// `users.setStatus` as the user itself; `message` is sent only when given.
    pub fn set_status(
        &mut self,
        user: &MadeUser,
        status: &str,
        message: Option<&str>,
    ) -> Result<(), Verdict> {
        let mut body = json!({ "status": status });
        if let Some(m) = message {
            body["message"] = json!(m);
        }
        self.companion(
            Req::method("POST", "/api/v1/users.setStatus").json(body),
            &user.auth(),
        )
        .map(|_| ())
    }

    /// `users.setActiveStatus` as the admin.
    pub fn set_active(&mut self, user: &MadeUser, active: bool) -> Result<(), Verdict> {
        let admin = self.admin_auth()?;
        self.companion(
            Req::method("POST", "/api/v1/users.setActiveStatus")
                .json(json!({ "userId": user.user_id, "activeStatus": active })),
            &admin,
        )
        .map(|_| ())
    }

    /// `teams.create` (public) as the admin; returns the team id and name.
    pub fn create_team(&mut self, tag: &str) -> Result<(String, String), Verdict> {
        self.create_team_with(tag, false, &[])
            .map(|t| (t.team_id, t.name))
    }

    /// `teams.create` as the admin, private or public, with these members (user ids).
    pub fn create_team_with(
        &mut self,
        tag: &str,
        private: bool,
        member_ids: &[&str],
    ) -> Result<MadeTeam, Verdict> {
        let managed = self.managed()?;
        let name = format!("{}{tag}", managed.prefix);
        let admin = self.admin_auth()?;
        let mut body = json!({ "name": name, "type": if private { 1 } else { 0 } });
        if !member_ids.is_empty() {
            body["members"] = json!(member_ids);
        }
        let body = self.companion(
            Req::method("POST", "/api/v1/teams.create").json(body),
            &admin,
        )?;
        let team_id = body["team"]["_id"]
            .as_str()
            .ok_or_else(|| Verdict::Error("teams.create gave no team._id".into()))?
            .to_owned();
        self.created("team", &name, &team_id)?;
        let room_id = body["team"]["roomId"]
            .as_str()
            .ok_or_else(|| Verdict::Error("teams.create gave no team.roomId".into()))?
            .to_owned();
        Ok(MadeTeam {
            team_id,
            room_id,
            name,
        })
    }

    /// `channels.create` (or `groups.create` when `private`) as the admin, inside a team when
    /// `team_id` is given, with these usernames as members; returns the room id and name.
    pub fn create_room(
        &mut self,
        tag: &str,
        private: bool,
        team_id: Option<&str>,
        members: &[&str],
    ) -> Result<(String, String), Verdict> {
        let managed = self.managed()?;
        let name = format!("{}{tag}", managed.prefix);
        let mut body = json!({ "name": name });
        if !members.is_empty() {
            body["members"] = json!(members);
        }
        if let Some(team) = team_id {
            body["extraData"] = json!({ "teamId": team });
        }
        let (path, key, kind) = if private {
            ("/api/v1/groups.create", "group", "group")
        } else {
            ("/api/v1/channels.create", "channel", "channel")
        };
        let admin = self.admin_auth()?;
        let answer = self.companion(Req::method("POST", path).json(body), &admin)?;
        let id = answer[key]["_id"]
            .as_str()
            .ok_or_else(|| Verdict::Error(format!("{path} gave no {key}._id")))?
            .to_owned();
        self.created(kind, &name, &id)?;
        Ok((id, name))
    }

    /// A `from` instant (ms) that is later than every write already made and not later than
    /// the next write: an upper bound of the server's clock now plus one ms, then a wait until
    /// a lower bound of the server's clock has passed it. Keeps away from millisecond ties
    /// whatever the clock estimate's uncertainty (test control: ~1 ms; Date header: ~0.5 s).
    /// A target whose clock was stopped before the run (test control) gives every write the
    /// same instant: then the check Skips.
    pub fn from_between_writes(&mut self) -> Result<i64, Verdict> {
        if self.session.manual_clock_ms.is_some() || self.is_frozen() {
            return Err(Verdict::Skip(
                "the target's clock is stopped: writes and from would share one instant".into(),
            ));
        }
        let u = self.session.skew.uncertainty_ms.max(1);
        let from = self.server_now_ms() + u + 1;
        loop {
            let lower = self.server_now_ms() - u;
            if lower > from {
                return Ok(from);
            }
            std::thread::sleep(std::time::Duration::from_millis(
                (from - lower + 1).clamp(1, 2_000) as u64,
            ));
        }
    }
}

/// Removes what one check created (the runner calls it after every check).
pub fn remove_for_check(ctx: &mut Ctx, check: &str) {
    let Some(managed) = ctx.session.managed.clone() else {
        return;
    };
    remove_created(&managed, Some(check), |req, admin| {
        let auth = Auth::Headers(vec![
            ("X-Auth-Token".to_owned(), admin.auth_token.clone()),
            ("X-User-Id".to_owned(), admin.user_id.clone()),
        ]);
        ctx.send(req, &auth)
            .map(|r| (r.status, snippet(&r.text(), 200)))
            .map_err(|v| format!("{v:?}"))
    });
    for c in managed.registry.items() {
        if c.check == check {
            if let Some(e) = &c.cleanup_error {
                ctx.note(format!("removing {} {:?}: {e}", c.kind, c.name));
            }
        }
    }
}
