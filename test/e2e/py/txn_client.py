#!/usr/bin/env python3
# confluent-kafka 1.7.0 (librdkafka 2.0.2) transactional steps for test/e2e/transactions.test.ts.
# Usage: txn_client.py <bootstrap> <step>; arguments as one JSON document on stdin; the result is
# printed as one JSON line (the last line of stdout). Values are plain strings.
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def producer(bs, txn_id, timeout_ms=10000):
    return Producer({
        'bootstrap.servers': bs,
        'transactional.id': txn_id,
        'transaction.timeout.ms': timeout_ms,
        'client.id': 'e2e-txn-' + txn_id,
        'linger.ms': 0,
    })


def err_of(e):
    k = e.args[0]
    return {'code': k.code(), 'name': k.name(), 'fatal': k.fatal(), 'abortable': k.txn_requires_abort()}


def send(p, topic, values, partition=0):
    for v in values:
        p.produce(topic, value=v.encode(), partition=partition)
    p.flush(20)


def step_produce(bs, a):
    # Several transactions in a row, each committed or aborted.
    p = producer(bs, a['txn_id'])
    p.init_transactions(30)
    for t in a['txns']:
        p.begin_transaction()
        for part in t.get('partitions', [0]):
            send(p, a['topic'], t['values'], part)
        if t['commit']:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    return {'ok': True}


def step_consume(bs, a):
    # Everything readable up to the end (the LSO for read_committed), in order.
    c = Consumer({
        'bootstrap.servers': bs,
        'group.id': 'e2e-txn-reader-%d' % os.getpid(),
        'enable.auto.commit': False,
        'isolation.level': a['isolation'],
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
    })
    parts = a.get('partitions', [0])
    c.assign([TopicPartition(a['topic'], p, 0) for p in parts])
    out, eof = [], set()
    deadline = time.time() + 20
    while len(eof) < len(parts) and time.time() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        out.append({'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
    c.close()
    return {'records': out, 'eof': len(eof) == len(parts)}


def step_fence(bs, a):
    # The first producer has an open transaction when a second one with the same id starts.
    p1 = producer(bs, a['txn_id'])
    p1.init_transactions(30)
    p1.begin_transaction()
    send(p1, a['topic'], ['zombie-1'])
    p2 = producer(bs, a['txn_id'])
    p2.init_transactions(30)
    first = None
    try:
        send(p1, a['topic'], ['zombie-2'])
        p1.commit_transaction(30)
    except KafkaException as e:
        first = err_of(e)
    p2.begin_transaction()
    send(p2, a['topic'], ['fencer-1'])
    p2.commit_transaction(30)
    return {'first': first}


def group_metadata(bs, group):
    c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'enable.auto.commit': False})
    return c, c.consumer_group_metadata()


def step_offsets(bs, a):
    # A consume-transform-produce step: output record plus the group's offset, in one transaction.
    c, meta = group_metadata(bs, a['group'])
    p = producer(bs, a['txn_id'])
    p.init_transactions(30)
    p.begin_transaction()
    send(p, a['topic'], [a['value']])
    p.send_offsets_to_transaction([TopicPartition(a['input'], 0, a['offset'])], meta, 30)
    if a['commit']:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)
    committed = c.committed([TopicPartition(a['input'], 0)], 20)[0].offset
    c.close()
    return {'committed': committed}


def step_open(bs, a):
    # Leaves a transaction open (the process dies without ending it).
    p = producer(bs, a['txn_id'], a.get('timeout_ms', 10000))
    p.init_transactions(30)
    p.begin_transaction()
    for part in a.get('partitions', [0]):
        send(p, a['topic'], a['values'], part)
    print(json.dumps({'ok': True}))
    sys.stdout.flush()
    os._exit(0)


STEPS = {
    'produce': step_produce,
    'consume': step_consume,
    'fence': step_fence,
    'offsets': step_offsets,
    'open': step_open,
}

if __name__ == '__main__':
    bootstrap, step = sys.argv[1], sys.argv[2]
    args = json.loads(sys.stdin.read() or '{}')
    try:
        print(json.dumps(STEPS[step](bootstrap, args)))
    except KafkaException as e:
        print(json.dumps({'error': err_of(e)}))
