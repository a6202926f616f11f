//! `presence/settings/…`: what the server's settings change (`Presence_broadcast_disabled`).

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "presence/settings/broadcast-disabled-is-empty-full",
        Level::Should,
        Needs::TEST_CONTROL,
        "If presence broadcast is disabled, return an empty array: 200 {users:[], full:true, success:true} whatever the params, even ids/from.",
        &["presence.broadcast-disabled"],
        broadcast_disabled_is_empty_full,
    )
    .holds_for(Lines::since(Line::V6)));
}

pub(super) fn broadcast_disabled_is_empty_full(ctx: &mut Ctx) -> Result<(), Verdict> {
    let ids = ctx.presence(&[])?.ids();
    ctx.patch_settings(json!({ "Presence_broadcast_disabled": true }))?;
    let recent = FromForm::ZuluMillis.render(ctx.server_now_ms() - 60_000);
    let first = ids
        .first()
        .cloned()
        .unwrap_or_else(|| ctx.session.caller.user_id.clone());
    let want = json!({ "users": [], "full": true, "success": true });
    for params in [
        vec![],
        vec![("from", recent.as_str())],
        vec![("ids", first.as_str())],
    ] {
        let a = ctx.presence(&params)?;
        let got = Value::Object(a.body.clone());
        ensure(
            got == want,
            format!("with {params:?}"),
            want.to_string(),
            snippet(&got.to_string(), 300),
        )?;
    }
    Ok(())
}
