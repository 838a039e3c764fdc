-- SPDX-License-Identifier: BSD-2-Clause
-- clickhouse.sql - a ClickHouse table for flowtap flow-log records, and
-- example queries. See flowtap-flows(5), "CLICKHOUSE".
--
-- Feed it from every node with the records format and the HTTP sink:
--
--   flowtapd --flow-format records --spool-dir /var/spool/flowtap \
--     --url 'http://ch:8123/?query=INSERT%20INTO%20flows%20FORMAT%20JSONEachRow&input_format_skip_unknown_fields=1'
--
-- input_format_skip_unknown_fields=1 is needed: the records' "start" and
-- "end" (RFC 3339 text) are not stored as sent, the DateTime columns of the
-- same names are computed from startMs and endMs, and fields added in later
-- versions (drop counts) are skipped until a column is added for them.
--
-- Works with ClickHouse 18.16 and later. No TTL: add one to suit your
-- retention, e.g. ALTER TABLE flows MODIFY TTL start + INTERVAL 30 DAY
-- (ClickHouse 19.6 and later).
--
-- Duplicates. A batch is re-sent byte for byte until ClickHouse accepted it
-- (also after a restart of the sender), so a repeat only happens when an
-- answer was lost after the insert. Replicated tables drop such a repeat
-- themselves (insert deduplication by block checksum, see below). In this
-- plain MergeTree table a repeat is stored twice, and "id" (the message id
-- and the record's index: unique per record, the same in every repeat) tells
-- them apart: count(DISTINCT id), or SELECT ... FROM flows LIMIT 1 BY id for
-- exact answers. ClickHouse 21.3 and later can deduplicate here too:
-- ALTER TABLE flows MODIFY SETTING non_replicated_deduplication_window = 1000.

CREATE TABLE IF NOT EXISTS flows
(
    id       String,   -- "<message id>.<index>", unique per record
    nodeId   String,   -- --node-id of the sender
    startMs  UInt64,   -- the interval, ms since the epoch (UTC)
    endMs    UInt64,
    class    Enum8('virtual' = 1, 'subnet' = 2, 'exit' = 3, 'physical' = 4),
    proto    UInt8,    -- IP protocol; 0 for physical traffic
    src      String,   -- local side, "addr:port" or "[v6addr]:port"
    dst      String,   -- remote side; "" for anonymized exit traffic
    txPkts   UInt64,   -- sent by the local side
    txBytes  UInt64,
    rxPkts   UInt64,   -- received by the local side
    rxBytes  UInt64,
    start    DateTime MATERIALIZED toDateTime(intDiv(startMs, 1000)),
    `end`    DateTime MATERIALIZED toDateTime(intDiv(endMs, 1000)),
    srcAddr  String MATERIALIZED replaceRegexpAll(replaceRegexpOne(src, ':[0-9]*$', ''), '[\\[\\]]', ''),
    dstAddr  String MATERIALIZED replaceRegexpAll(replaceRegexpOne(dst, ':[0-9]*$', ''), '[\\[\\]]', '')
)
ENGINE = MergeTree
PARTITION BY toDate(start)
ORDER BY (nodeId, class, start);

-- A cluster: the same columns in a ReplicatedMergeTree table on every
-- server, and a Distributed table over them that the nodes insert into
-- (cluster "fleet" and the {shard}/{replica} macros from the servers'
-- config):
--
--   CREATE TABLE flows_local ON CLUSTER fleet ( ...the columns above... )
--   ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/flows', '{replica}')
--   PARTITION BY toDate(start)
--   ORDER BY (nodeId, class, start);
--
--   CREATE TABLE flows ON CLUSTER fleet AS flows_local
--   ENGINE = Distributed(fleet, default, flows_local, sipHash64(nodeId));
--
-- Replicated tables keep the checksums of the last inserted blocks
-- (replicated_deduplication_window, 100 by default) and drop a block they
-- have seen: since a retried batch is byte-identical, a repeat is dropped.
-- Keep the sharding key deterministic (sipHash64(nodeId), not rand()) so
-- that a repeat is split into the same per-shard blocks, and prefer
-- insert_distributed_sync=1 in the URL so that a 200 means stored.

-- Top talkers per node over the last day of data.
SELECT nodeId, srcAddr AS talker, sum(txBytes + rxBytes) AS bytes, sum(txPkts + rxPkts) AS pkts
FROM flows
WHERE start >= (SELECT max(start) FROM flows) - 86400
GROUP BY nodeId, talker
ORDER BY nodeId, bytes DESC
LIMIT 3 BY nodeId;

-- Traffic per class per hour.
SELECT toStartOfHour(start) AS hour, class, sum(txBytes) AS tx, sum(rxBytes) AS rx,
       count() AS records
FROM flows
GROUP BY hour, class
ORDER BY hour, class;

-- Peers of an address (here 100.64.0.1): whom it talked to, how much.
-- Either end counts, as logged by any node.
SELECT if(srcAddr = '100.64.0.1', dstAddr, srcAddr) AS peer, groupUniqArray(toString(class)) AS classes,
       sum(txBytes + rxBytes) AS bytes, min(start) AS first, max(`end`) AS last
FROM flows
WHERE srcAddr = '100.64.0.1' OR dstAddr = '100.64.0.1'
GROUP BY peer
ORDER BY bytes DESC
LIMIT 20;
