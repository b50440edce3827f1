#!/usr/bin/env python3
"""The baseline of bench/webhooks.sh: a plain Python webhook receiver, as a script would write it.

`http.server`'s ThreadingHTTPServer (a thread per connection, HTTP/1.1 keep-alive) takes
`POST /webhooks/stripe/<connection>`, checks `Stripe-Signature` (HMAC-SHA256 of "t.body" with
the secret, 300 s tolerance, constant-time comparison), parses the event, INSERTs it into
SQLite (WAL, synchronous=FULL, the durability ferry uses) and commits, one transaction per
request, before answering `200 {"received": true, "duplicate": false}`. A redelivery answers
`"duplicate": true`. No processing: events are only stored.

    python3 bench/webhook_baseline.py --port 8090 --db /tmp/baseline.db --secret whsec_bench

Python standard library only. `GET /healthz` answers `ok`.
"""

import argparse
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 300
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY,
    connection TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (connection, event_id)
)
"""


def verify(header, body, secret):
    """True when one v1 signature of the header is the HMAC of "t.body" and t is recent."""
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit():
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        return False
    return abs(time.time() - int(timestamp)) <= TOLERANCE


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def answer(self, status, payload):
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        prefix = "/webhooks/stripe/"
        if not self.path.startswith(prefix):
            return self.answer(404, {"error": "no endpoint"})
        if not verify(self.headers.get("Stripe-Signature", ""), body, self.server.secret):
            return self.answer(400, {"error": "bad signature"})
        try:
            event = json.loads(body)
            values = (self.path[len(prefix):], event["id"], event["type"], int(event["created"]),
                      body.decode(), int(time.time() * 1000))
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": "not an event"})
        db = self.server.connection()
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "INSERT INTO inbox (connection, event_id, event_type, created, body, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connection, event_id) DO NOTHING", values)
        db.execute("COMMIT")
        self.answer(200, {"received": True, "duplicate": cursor.rowcount == 0})

    def log_message(self, *_):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address, db_path, secret):
        super().__init__(address, Handler)
        self.db_path, self.secret, self.local = db_path, secret, threading.local()
        self.connection().execute(SCHEMA)

    def connection(self):
        """One SQLite connection per thread (sqlite3 objects are not shared across threads)."""
        db = getattr(self.local, "db", None)
        if db is None:
            db = sqlite3.connect(self.db_path, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self.local.db = db
        return db


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), args.db, args.secret.encode())
    print(f"baseline listening on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
