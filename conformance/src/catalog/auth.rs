/*!
Authentication checks, the same five for both endpoints: no credentials, only one of the two
headers, a wrong token, and another user's token must all be refused with 401. Each request is
built from nothing, carrying only the headers named here, so a check cannot pass because some
default credential leaked into it.
*/

use serde_json::Value;

use super::check;
use super::Check;
use crate::context::{Auth, Ctx};
use crate::http::{snippet, Req};
use crate::versions::Line;
use crate::vocabulary::{Level, Needs, Verdict};

/// Registers the auth checks of one endpoint: `<endpoint>/auth/…` for `path`.
pub(super) fn add(out: &mut Vec<Check>, endpoint: &str, path: &'static str) {
    let p = path;
    out.push(check(
        format!("{endpoint}/auth/no-credentials-is-401"),
        Level::Must,
        Needs::CREDENTIALS,
        "Requires Auth: yes. A request without X-Auth-Token and X-User-Id is refused with 401.",
        &["auth.required"],
        move |ctx| no_credentials_is_401(ctx, p),
    ));
    out.push(check(
        format!("{endpoint}/auth/token-without-user-id-is-401"),
        Level::Must,
        Needs::CREDENTIALS,
        "Requires Auth: yes; the examples send both X-Auth-Token and X-User-Id. A valid X-Auth-Token alone is refused with 401.",
        &["auth.both-headers"],
        move |ctx| token_without_user_id_is_401(ctx, p),
    ));
    out.push(check(
        format!("{endpoint}/auth/user-id-without-token-is-401"),
        Level::Must,
        Needs::CREDENTIALS,
        "Requires Auth: yes; the examples send both X-Auth-Token and X-User-Id. A valid X-User-Id alone is refused with 401.",
        &["auth.both-headers"],
        move |ctx| user_id_without_token_is_401(ctx, p),
    ));
    out.push(check(
        format!("{endpoint}/auth/wrong-token-is-401"),
        Level::Must,
        Needs::CREDENTIALS,
        "Requires Auth: yes. A valid X-User-Id with a token that was never issued is refused with 401.",
        &["auth.token-binding"],
        move |ctx| wrong_token_is_401(ctx, p),
    ));
    out.push(check(
        format!("{endpoint}/auth/other-users-token-is-401"),
        Level::Must,
        Needs::SECOND_USER,
        "Requires Auth: yes. A token is valid only with the X-User-Id it was issued to: the caller's id with another user's token is refused with 401.",
        &["auth.token-binding"],
        move |ctx| other_users_token_is_401(ctx, p),
    ));
    out.push(check(
        format!("{endpoint}/auth/unauthorized-envelope"),
        Level::Should,
        Needs::CREDENTIALS,
        "401 body: from 7.0 {\"success\":false,\"error\":\"You must be logged in to do this.\",\"status\":\"error\",\"message\":\"You must be logged in to do this.\"}; up to 6.x {\"status\":\"error\",\"message\":…}.",
        &["auth.unauthorized-envelope"],
        move |ctx| unauthorized_envelope(ctx, p),
    ));
}

fn no_credentials_is_401(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    expect_401(ctx, path, Auth::None)
}

fn token_without_user_id_is_401(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    let token = ctx.session.caller.auth_token.clone();
    expect_401(
        ctx,
        path,
        Auth::Headers(vec![("X-Auth-Token".into(), token)]),
    )
}

fn user_id_without_token_is_401(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    let id = ctx.session.caller.user_id.clone();
    expect_401(ctx, path, Auth::Headers(vec![("X-User-Id".into(), id)]))
}

fn wrong_token_is_401(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    let id = ctx.session.caller.user_id.clone();
    let wrong = wrong_token(&ctx.session.caller.auth_token);
    expect_401(
        ctx,
        path,
        Auth::Headers(vec![
            ("X-Auth-Token".into(), wrong),
            ("X-User-Id".into(), id),
        ]),
    )
}

fn other_users_token_is_401(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    let id = ctx.session.caller.user_id.clone();
    let Some(second) = ctx.session.second.clone() else {
        return Err(Verdict::Skip("no second user".into()));
    };
    if second.user_id == id {
        return Err(Verdict::Skip("the second user is the caller".into()));
    }
    expect_401(
        ctx,
        path,
        Auth::Headers(vec![
            ("X-Auth-Token".into(), second.auth_token),
            ("X-User-Id".into(), id),
        ]),
    )
}

fn unauthorized_envelope(ctx: &mut Ctx, path: &str) -> Result<(), Verdict> {
    let resp = ctx.send(Req::get(path), &Auth::None)?;
    let modern = ctx.line() >= Line::V7;
    let expected = if modern {
        "401 with {\"success\": false, \"status\": \"error\", \"message\": <string>, \"error\": <string>}"
    } else {
        "401 with {\"status\": \"error\", \"message\": <string>} (up to 6.x)"
    };
    let actual = format!("{} {}", resp.status, snippet(&resp.text(), 300));
    if resp.status != 401 {
        return Err(Verdict::fail(
            format!("expected HTTP 401, got {}", resp.status),
            expected,
            actual,
        ));
    }
    let body = ctx.json_of(&resp)?;
    let old_keys = body.get("message").is_some_and(Value::is_string)
        && body.get("status").and_then(Value::as_str) == Some("error");
    let ok = old_keys
        && (!modern
            || (body.get("success") == Some(&Value::Bool(false))
                && body.get("error").is_some_and(Value::is_string)));
    if ok {
        Ok(())
    } else {
        Err(Verdict::fail(
            format!("the 401 body is not Rocket.Chat {}'s envelope", ctx.line()),
            expected,
            actual,
        ))
    }
}

/// A token of the same length as the real one that was never issued: random, so that nothing
/// about the real one can be read from it.
fn wrong_token(real: &str) -> String {
    loop {
        let token = crate::random::string(real.len().max(16), crate::random::TOKEN_ALPHABET);
        if token != real {
            return token;
        }
    }
}

fn expect_401(ctx: &mut Ctx, path: &str, auth: Auth) -> Result<(), Verdict> {
    let resp = ctx.send(Req::get(path), &auth)?;
    if resp.status == 401 {
        Ok(())
    } else {
        Err(Verdict::fail(
            format!("the request was not refused with 401 (got {})", resp.status),
            "HTTP 401",
            format!("{} {}", resp.status, snippet(&resp.text(), 300)),
        ))
    }
}
