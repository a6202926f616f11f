//! `directory/workspace/…`: `workspace=local` and `all`, and federated users.

use super::*;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/workspace/local-is-default",
        Level::Must,
        Needs::CREDENTIALS,
        "When type is users you can send an additional workspace field, that can be local (default) or all.",
        &["directory.workspace.default"],
        local_is_default,
    ));
    out.push(check(
        "directory/workspace/all-includes-local",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace=all lists all active users (federated ones too when federation is enabled; as local otherwise): every local user is in it.",
        &["directory.workspace.all"],
        all_includes_local,
    ));
    out.push(check(
        "directory/workspace/unknown-is-local",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace: anything other than all or external behaves as local.",
        &["directory.workspace.unknown"],
        unknown_is_local,
    ));
    out.push(check(
        "directory/workspace/local-excludes-federated",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace can be local (default) or all; all searches users from federated servers too: workspace=local (asked or by default) never lists a federated user (one with a federation field).",
        &["directory.workspace.federated"],
        local_excludes_federated,
    ));
}

pub(super) fn local_is_default(ctx: &mut Ctx) -> Result<(), Verdict> {
    let local = ctx.directory(
        &DirQuery::of("users").workspace("local"),
        &[("count", "100")],
    )?;
    let default = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
    same_answer(&local, &default, "workspace=local", "no workspace")
}

pub(super) fn all_includes_local(ctx: &mut Ctx) -> Result<(), Verdict> {
    let q_local = DirQuery::of("users").workspace("local");
    let q_all = DirQuery::of("users").workspace("all");
    let (Some((local, _)), Some((all, _))) = (
        ctx.list_all(&q_local, 100, 20)?,
        ctx.list_all(&q_all, 100, 20)?,
    ) else {
        return Err(Verdict::Skip(
            "more than 2000 users: too many to compare".into(),
        ));
    };
    let all: HashSet<String> = ids_of(&all).into_iter().collect();
    let missing: Vec<String> = ids_of(&local)
        .into_iter()
        .filter(|id| !all.contains(id))
        .collect();
    ensure(
        missing.is_empty(),
        "local users are missing from workspace=all",
        "every local user",
        format!("missing {missing:?}"),
    )
}

pub(super) fn unknown_is_local(ctx: &mut Ctx) -> Result<(), Verdict> {
    let local = ctx.directory(
        &DirQuery::of("users").workspace("local"),
        &[("count", "100")],
    )?;
    let other = ctx.directory(
        &DirQuery::of("users").workspace("conformance-unknown"),
        &[("count", "100")],
    )?;
    same_answer(
        &local,
        &other,
        "workspace=local",
        "workspace=conformance-unknown",
    )
}

pub(super) fn local_excludes_federated(ctx: &mut Ctx) -> Result<(), Verdict> {
    for q in [
        DirQuery::of("users").workspace("local"),
        DirQuery::of("users"),
    ] {
        let Some((items, _)) = ctx.list_all(&q, 100, 20)? else {
            return Err(Verdict::Skip(
                "more than 2000 users: too many to list".into(),
            ));
        };
        for item in &items {
            ensure(
                item.get("federation").is_none_or(Value::is_null),
                format!(
                    "workspace {:?} lists a federated user",
                    q.workspace.as_deref().unwrap_or("(default)")
                ),
                "only local users (no \"federation\")",
                snippet(&item.to_string(), 300),
            )?;
        }
    }
    Ok(())
}
