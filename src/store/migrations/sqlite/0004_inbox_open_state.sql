-- `/readyz` and `/metrics` count the open events by state and find the oldest pending one.
-- `inbox_open` holds neither column, so that count read every open row, and behind each ~3 KB
-- body its overflow page: slowest exactly when a backlog builds. This index answers it alone.
CREATE INDEX inbox_open_state ON inbox (state, received_at) WHERE state IN ('pending', 'processing');
