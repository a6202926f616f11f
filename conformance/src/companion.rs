/*!
What a check sends through Rocket.Chat's companion REST API in managed mode: it creates users
(and logs in as them), sets statuses, deactivates users, and creates private groups, channels
and teams, every name carrying the run's prefix, each recorded with [`crate::managed`] so that
it is removed after the check. Anything but a success here is an Error (the set-up failed, not
the rule under test).
*/

use serde_json::{json, Map, Value};

use crate::context::{Auth, Ctx};
use crate::http::{snippet, Req};
use crate::managed::{record_created, users_create, Managed};
use crate::vocabulary::Verdict;

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
        if self.sharing.data != crate::schedule::Data::Writes {
            return Err(self.undeclared("writes data through the companion API"));
        }
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
    crate::managed::remove_created(&managed, Some(check), |req, admin| {
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
