#!/usr/bin/env python3
# confluent-kafka 1.7.0 (librdkafka 2.0.2) steps for test/e2e/replication.test.ts, which kills and
# restarts brokers of a replicated cluster while these run. Usage: replication_client.py
# <bootstrap> <step>; the step's arguments come as one JSON document on stdin; its result is
# printed as one JSON line (the last line of stdout).
import json
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer


def stream_produce_keyed(bs, a):
    # Keyed records k-<i>/v-<i> spread over the topic's partitions by the default partitioner,
    # each delivery report printed as its own JSON line ({"i","p","offset"} or {"i","error"}) as
    # soon as it arrives, so the test can see what was acknowledged when it kills a broker.
    # Produces `count` records, or fewer when SIGTERM says stop; then waits for every report.
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    conf = {'bootstrap.servers': bs, 'client.id': 'e2e-replication-stream', 'acks': 'all',
            'enable.idempotence': True, 'linger.ms': 5, 'message.timeout.ms': 120000,
            'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200,
            'topic.metadata.refresh.interval.ms': 1000}
    conf.update(a.get('conf', {}))
    p = Producer(conf)
    done = [0]

    def report(err, msg):
        i = int(msg.key()[2:])
        if err:
            print(json.dumps({'i': i, 'error': err.code(), 'reason': err.str()}), flush=True)
        else:
            print(json.dumps({'i': i, 'p': msg.partition(), 'offset': msg.offset()}), flush=True)
        done[0] += 1

    pause_every, pause_s = a.get('pauseEvery', 10), a.get('pauseMs', 20) / 1000
    sent = 0
    while sent < a['count'] and not stop[0]:
        while True:
            try:
                p.produce(a['topic'], key=f'k-{sent}'.encode(), value=f'v-{sent}'.encode(), on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        sent += 1
        p.poll(0)
        if sent % pause_every == 0:
            time.sleep(pause_s)
    deadline = time.time() + a.get('flushS', 150)
    while done[0] < sent and time.time() < deadline:
        p.poll(0.1)
    return {'done': done[0], 'sent': sent}


def produce_once(bs, a):
    # A few records to one partition, no retries and no idempotence, so the broker's own error
    # code (e.g. NOT_ENOUGH_REPLICAS, 19) reaches the delivery report unchanged.
    conf = {'bootstrap.servers': bs, 'client.id': 'e2e-replication-once', 'acks': a['acks'],
            'enable.idempotence': False, 'retries': 0, 'linger.ms': 0,
            'message.timeout.ms': a.get('timeoutMs', 15000), 'request.timeout.ms': a.get('timeoutMs', 15000)}
    p = Producer(conf)
    reports = []

    def report(err, msg):
        reports.append({'error': err.code() if err else 0, 'reason': err.str() if err else None,
                        'offset': msg.offset()})

    for i in range(a.get('count', 3)):
        p.produce(a['topic'], key=f'once-{i}'.encode(), value=f'{a.get("tag", "x")}-{i}'.encode(),
                  partition=a.get('partition', 0), on_delivery=report)
        p.poll(0)
    left = p.flush(a.get('timeoutMs', 15000) / 1000 + 10)
    return {'left': left, 'reports': reports}


def group_consume_stream(bs, a):
    # A group member (subscribe) that commits each record synchronously after printing it, until
    # SIGTERM: prints {"p","offset","value"} per record and {"commit": p, "offset": next} once the
    # coordinator confirmed a commit ({"commitError": code, ...} when it failed), so the test knows
    # what was committed when it killed the coordinator's broker.
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    conf = {'bootstrap.servers': bs, 'client.id': 'e2e-replication-group', 'group.id': a['group'],
            'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000,
            'heartbeat.interval.ms': 500, 'fetch.wait.max.ms': 100, 'topic.metadata.refresh.interval.ms': 1000,
            'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 200}
    c = Consumer(conf)
    c.subscribe([a['topic']])
    records = 0
    try:
        while not stop[0]:
            m = c.poll(0.1)
            if m is None or m.error():
                continue
            records += 1
            print(json.dumps({'p': m.partition(), 'offset': m.offset(), 'value': m.value().decode()}), flush=True)
            try:
                c.commit(message=m, asynchronous=False)
                print(json.dumps({'commit': m.partition(), 'offset': m.offset() + 1}), flush=True)
            except KafkaException as e:
                print(json.dumps({'commitError': e.args[0].code(), 'reason': e.args[0].str(), 'p': m.partition(),
                                  'offset': m.offset() + 1}), flush=True)
    finally:
        c.close()
    return {'records': records}


STEPS = {f.__name__: f for f in [stream_produce_keyed, produce_once, group_consume_stream]}

if __name__ == '__main__':
    bootstrap, step = sys.argv[1], sys.argv[2]
    args = json.loads(sys.stdin.read() or '{}')
    print(json.dumps(STEPS[step](bootstrap, args)), flush=True)
