#!/usr/bin/env python3
# One member of the fault suite's consumer group (issue 12), run by group-consumer.ts with
# Debian's /usr/bin/python3 and confluent-kafka 1.7.0 (librdkafka 2.0.2). It subscribes to the
# fault topic and reports, one JSON line each and stamped with this machine's clock (t, ms), every
# record it reads and every offset commit and its outcome, so that consumer-checker.ts can judge
# the history: {"p","offset","value","t"} a record; {"commit":p,"offset":next,"ok":true,"t"} or
# {"commit":p,"offset":next,"ok":false,"error":code,"reason","t"} a commit (next = the offset to
# read next, as Kafka commits it); {"assigned":[p..]} / {"revoked":[p..]} rebalances;
# {"pollError":code,"reason"} errors the client surfaced; {"done":{...}} last.
# Commits are synchronous, of the partitions read since the last commit, every `commitEvery`
# records or `commitIntervalMs`, whichever comes first, and on revocation and shutdown.
# Usage: group_consumer.py '<json args>' ; SIGTERM: commit, leave the group, exit 0.
import json
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

a = json.loads(sys.argv[1])
stop = [False]
signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
counts = {'reads': 0, 'commits': 0, 'failedCommits': 0}


def out(o):
    o['t'] = time.time() * 1000
    print(json.dumps(o), flush=True)


# Next offset to read, per partition read since the last commit (what the next commit stores).
dirty = {}
owned = set()


def commit(parts):
    offsets = [TopicPartition(a['topic'], p, dirty[p]) for p in sorted(parts) if p in dirty]
    if not offsets:
        return
    try:
        result = c.commit(offsets=offsets, asynchronous=False)
        for tp in result:
            if tp.error is None:
                out({'commit': tp.partition, 'offset': tp.offset, 'ok': True})
                counts['commits'] += 1
            else:
                out({'commit': tp.partition, 'offset': tp.offset, 'ok': False, 'error': tp.error.code(),
                     'reason': tp.error.str()})
                counts['failedCommits'] += 1
    except KafkaException as e:
        err = e.args[0]
        for tp in offsets:
            out({'commit': tp.partition, 'offset': tp.offset, 'ok': False, 'error': err.code(),
                 'reason': err.str()})
            counts['failedCommits'] += 1
    for tp in offsets:
        if dirty.get(tp.partition) == tp.offset:
            del dirty[tp.partition]


def on_assign(_consumer, parts):
    owned.update(tp.partition for tp in parts)
    out({'assigned': sorted(tp.partition for tp in parts)})


def on_revoke(_consumer, parts):
    ps = [tp.partition for tp in parts]
    out({'revoked': sorted(ps)})
    # Commit what was read before another member takes these partitions over.
    commit(ps)
    for p in ps:
        owned.discard(p)
        dirty.pop(p, None)


conf = {'bootstrap.servers': a['bootstrap'], 'client.id': a.get('clientId', 'samsa-faults-group'),
        'group.id': a['group'], 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
        'session.timeout.ms': a.get('sessionTimeoutMs', 10000), 'heartbeat.interval.ms': 500,
        'fetch.wait.max.ms': 100, 'topic.metadata.refresh.interval.ms': 1000,
        'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 500}
c = Consumer(conf)
c.subscribe([a['topic']], on_assign=on_assign, on_revoke=on_revoke)
every, interval = a.get('commitEvery', 20), a.get('commitIntervalMs', 1000) / 1000
since, last = 0, time.time()
try:
    while not stop[0]:
        m = c.poll(0.1)
        if m is not None and m.error():
            out({'pollError': m.error().code(), 'reason': m.error().str()})
        elif m is not None:
            v = m.value()
            out({'p': m.partition(), 'offset': m.offset(), 'value': None if v is None else v.decode()})
            counts['reads'] += 1
            dirty[m.partition()] = m.offset() + 1
            since += 1
        if dirty and (since >= every or time.time() - last >= interval):
            commit(list(dirty))
            since, last = 0, time.time()
    commit(list(dirty))
finally:
    c.close()
out({'done': counts})
