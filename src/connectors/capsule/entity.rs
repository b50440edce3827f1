//! The Capsule entities ferry reads, and where each lives on the wire: one table, so that
//! listing, cursors, deletions and hooks are written once for all of them.

use crate::connectors::ConnectorError;

/// How `fetch_all(capsule.x, { party: id })` reads a party's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfParty {
    /// A listing under the party: `parties/{id}/opportunities`.
    Nested(&'static str),
    /// Capsule has no listing under the party (tasks, unverified for API v2): the entity's own
    /// listing, kept where `party.id` is the party.
    Filtered,
}

#[derive(Debug)]
pub struct Entity {
    /// The stream and collection name (`source capsule.opportunities`), also the path of its
    /// listing and the key of the listing's body (`{"opportunities": [...]}`).
    pub plural: &'static str,
    /// The key of one record's body (`{"opportunity": {...}}`) and the prefix of its hook
    /// events (`opportunity/updated`).
    pub singular: &'static str,
    /// The listing of deleted records (`{"kases": [{"id", "deletedAt"}]}`), when Capsule has one.
    pub deleted: Option<&'static str>,
    /// Whether the listing takes `since`. Capsule's `/tasks` does not: it is read whole and
    /// filtered by `updatedAt` here.
    pub since: bool,
    /// What every listing asks for besides paging. `/tasks` answers only open tasks unless
    /// told; a completed task must reach a pipeline too.
    pub list_query: &'static [(&'static str, &'static str)],
    /// What a poll embeds (custom fields and tags are left out of a listing unless asked).
    pub poll_embed: Option<&'static str>,
    pub of_party: Option<OfParty>,
    /// Whether records are written through ferry (`sink capsule.parties`).
    pub writable: bool,
}

pub const PARTIES: Entity = Entity {
    plural: "parties",
    singular: "party",
    deleted: Some("parties/deleted"),
    since: true,
    list_query: &[],
    poll_embed: Some("tags,fields"),
    of_party: None,
    writable: true,
};

pub const OPPORTUNITIES: Entity = Entity {
    plural: "opportunities",
    singular: "opportunity",
    deleted: Some("opportunities/deleted"),
    since: true,
    list_query: &[],
    poll_embed: Some("tags,fields"),
    of_party: Some(OfParty::Nested("opportunities")),
    writable: false,
};

/// Capsule's cases, now called projects in its user interface; the API keeps `kases`.
pub const KASES: Entity = Entity {
    plural: "kases",
    singular: "kase",
    deleted: Some("kases/deleted"),
    since: true,
    list_query: &[],
    poll_embed: Some("tags,fields"),
    of_party: Some(OfParty::Nested("kases")),
    writable: false,
};

/// Tasks: no `since`, no `/tasks/deleted` (Capsule documents neither), and no `task/deleted`
/// hook. A deleted task is noticed only through its party's other changes.
pub const TASKS: Entity = Entity {
    plural: "tasks",
    singular: "task",
    deleted: None,
    since: false,
    list_query: &[("status", "open,completed,pending")],
    poll_embed: None,
    of_party: Some(OfParty::Filtered),
    writable: false,
};

/// Users: read whole (an account has a handful), for `fetch(capsule.users, id)`.
pub const USERS: Entity = Entity {
    plural: "users",
    singular: "user",
    deleted: None,
    since: false,
    list_query: &[],
    poll_embed: None,
    of_party: None,
    writable: false,
};

pub const ALL: [&Entity; 5] = [&PARTIES, &OPPORTUNITIES, &KASES, &TASKS, &USERS];

/// The entity of a stream or collection name.
pub fn entity(name: &str) -> Result<&'static Entity, ConnectorError> {
    ALL.into_iter()
        .find(|entity| entity.plural == name)
        .ok_or_else(|| {
            let known: Vec<&str> = ALL.iter().map(|entity| entity.plural).collect();
            ConnectorError::Unsupported(format!(
                "capsule has no `{name}` collection (only {})",
                known.join(", ")
            ))
        })
}

/// The entity a hook event is about (`opportunity/closed` -> opportunities).
pub fn of_event(event: &str) -> Option<&'static Entity> {
    let (singular, _) = event.split_once('/')?;
    ALL.into_iter().find(|entity| entity.singular == singular)
}

/// An entity ferry writes to.
pub fn writable(name: &str) -> Result<&'static Entity, ConnectorError> {
    let entity = entity(name)?;
    if entity.writable {
        Ok(entity)
    } else {
        Err(ConnectorError::Unsupported(format!(
            "capsule `{name}` are read only in ferry"
        )))
    }
}
