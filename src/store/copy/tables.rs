//! The store's tables as every backend keeps them: the same names, the same columns, times as
//! unix milliseconds and JSON as text. `ferry store migrate` copies them in this order, which
//! puts a table before those whose rows refer to it (letters before their history).

/// A column's values: whole numbers or text, either possibly null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Text,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// One table family's table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// The primary key's columns: rows are read, copied and checksummed in this order (text
    /// compared byte by byte).
    pub key: &'static [&'static str],
}

impl Table {
    /// Where `column` sits in a row of this table.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == column)
    }

    pub fn kind_of(&self, column: &str) -> Option<Kind> {
        self.columns
            .iter()
            .find(|c| c.name == column)
            .map(|c| c.kind)
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Integer,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}

/// Tables a store keeps only while its processes live (who holds a run lock or a lease on
/// scheduled work, the fleet's request budgets), and the migrator's own: never copied, and not
/// "unknown" either.
pub const NOT_COPIED: &[&str] = &[
    "_sqlx_migrations",
    "leases",
    "rate_limits",
    "run_lock_holders",
];

/// Every table a store holds, in copying order.
pub const TABLES: &[Table] = &[
    Table {
        name: "cursors",
        columns: &[
            text("pipeline"),
            text("source"),
            text("value"),
            int("updated_at"),
        ],
        key: &["pipeline", "source"],
    },
    Table {
        name: "cross_references",
        columns: &[
            // The order links were first made: SQLite's implicit rowid, PostgreSQL's column of
            // that name.
            int("rowid"),
            text("source_collection"),
            text("source_id"),
            text("target_collection"),
            text("target_id"),
            int("updated_at"),
            text("target_keys"),
            text("source_stamp"),
        ],
        key: &["source_collection", "source_id", "target_collection"],
    },
    Table {
        name: "idempotency_records",
        columns: &[
            text("key"),
            text("pipeline"),
            text("source_id"),
            text("target"),
            text("request_hash"),
            int("response_status"),
            text("response_body"),
            int("created_at"),
            text("operation"),
            text("fields_changed"),
        ],
        key: &["key"],
    },
    Table {
        name: "dead_letters",
        columns: &[
            int("id"),
            text("pipeline"),
            text("source_id"),
            text("record_json"),
            text("error_code"),
            text("error_message"),
            int("attempts"),
            int("first_seen"),
            int("last_seen"),
            int("resolved_at"),
            text("resolution"),
            text("resolution_note"),
        ],
        key: &["id"],
    },
    Table {
        name: "dead_letter_history",
        columns: &[
            int("id"),
            int("letter_id"),
            int("at"),
            text("what"),
            text("error_code"),
            text("error_message"),
            text("note"),
        ],
        key: &["id"],
    },
    Table {
        name: "audit_log",
        columns: &[
            int("id"),
            text("pipeline"),
            text("pipeline_version"),
            text("source_id"),
            text("target"),
            text("target_id"),
            text("operation"),
            text("fields_changed"),
            int("at"),
        ],
        key: &["id"],
    },
    Table {
        name: "inbox",
        columns: &[
            int("seq"),
            text("connection"),
            text("event_id"),
            text("event_type"),
            int("created"),
            text("body"),
            int("received_at"),
            text("state"),
            int("attempts"),
            text("claimed_by"),
            int("lease_until"),
            int("not_before"),
            text("last_error"),
            int("processed_at"),
            text("object_key"),
        ],
        key: &["seq"],
    },
    Table {
        name: "object_versions",
        columns: &[
            text("connection"),
            text("object_id"),
            int("version"),
            text("event_id"),
            int("updated_at"),
        ],
        key: &["connection", "object_id"],
    },
    Table {
        name: "last_events",
        columns: &[
            text("connection"),
            text("event_id"),
            int("created"),
            int("updated_at"),
        ],
        key: &["connection"],
    },
    Table {
        name: "alerts",
        columns: &[
            int("id"),
            text("trigger"),
            text("key"),
            text("subject"),
            text("body"),
            int("at"),
            text("delivered"),
            text("failed"),
        ],
        key: &["id"],
    },
    Table {
        name: "reconcile_reports",
        columns: &[
            int("id"),
            int("started_at"),
            int("finished_at"),
            text("origin"),
            text("pipelines"),
            int("mismatches"),
            int("errors"),
            text("report"),
        ],
        key: &["id"],
    },
    Table {
        name: "records_read",
        columns: &[text("pipeline"), int("hour"), int("read")],
        key: &["pipeline", "hour"],
    },
    Table {
        name: "records_seen",
        columns: &[
            text("source"),
            text("source_id"),
            text("record_json"),
            int("seen_at"),
        ],
        key: &["source", "source_id"],
    },
];

/// One value of a row, as every backend reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
}

/// A row: its table's columns' values, in the order [`Table::columns`] lists them.
pub type Row = Vec<Value>;

/// Quotes a name of [`TABLES`] for SQL; every name is a plain lowercase word, and the quotes
/// keep a keyword (`trigger`, `key`, `read`) an identifier.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"a", "b", ...`: a table's columns for a SELECT or an INSERT.
pub fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|column| quoted(column.name))
        .collect::<Vec<_>>()
        .join(", ")
}
