-- Every alert ferry sent or tried to send: the dashboard's alert history, and what keeps a
-- digest to one message per key and window, across restarts.
CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger   TEXT NOT NULL CHECK (trigger <> ''),
    key       TEXT NOT NULL CHECK (key <> ''),
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        INTEGER NOT NULL,
    -- JSON: the channels reached, and [channel, reason] for those that were not.
    delivered TEXT NOT NULL DEFAULT '[]',
    failed    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX alerts_by_key ON alerts (key, at);
