#!/usr/bin/env python3
# confluent-kafka 1.7.0 (librdkafka 2.0.2) steps for test/e2e/clients-confluent.test.ts and the
# crash tests. Usage: confluent_client.py <bootstrap> <step>; the step's arguments come as one
# JSON document on stdin; its result is printed as one JSON line (the last line of stdout).
# Keys, values and header values travel as base64 (None stays null).
# confluent-kafka 1.7.0 has no incremental_alter_configs and no delete_records in AdminClient.
import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')


def unb64(s):
    return None if s is None else base64.b64decode(s)


# Module-level: the handle must outlive its futures (a collected AdminClient fails them with _DESTROY).
ADMIN = None


def admin(bs):
    global ADMIN
    ADMIN = ADMIN or AdminClient({'bootstrap.servers': bs, 'client.id': 'e2e-confluent-admin'})
    return ADMIN


def code_of(future):
    # None when the operation succeeded, else the Kafka error code (negative for librdkafka's own).
    try:
        future.result(timeout=20)
        return 0
    except KafkaException as e:
        return e.args[0].code()


def create_topics(bs, a):
    topics = [NewTopic(t['name'], num_partitions=t['partitions'], replication_factor=t['replication'],
                       config=t.get('configs', {})) for t in a['topics']]
    fs = admin(bs).create_topics(topics, operation_timeout=10, validate_only=a.get('validateOnly', False))
    return {'errors': {name: code_of(f) for name, f in fs.items()}}


def create_partitions(bs, a):
    fs = admin(bs).create_partitions([NewPartitions(t, n) for t, n in a['topics'].items()],
                                     operation_timeout=10, validate_only=a.get('validateOnly', False))
    return {'errors': {name: code_of(f) for name, f in fs.items()}}


def delete_topics(bs, a):
    fs = admin(bs).delete_topics(a['topics'], operation_timeout=10)
    return {'errors': {name: code_of(f) for name, f in fs.items()}}


def describe_configs(bs, a):
    res = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in a['topics']]
    out = {}
    for r, f in admin(bs).describe_configs(res).items():
        entries = f.result(timeout=20)
        out[r.name] = {k: {'value': e.value, 'source': e.source, 'isDefault': e.is_default,
                           'readOnly': e.is_read_only, 'sensitive': e.is_sensitive,
                           'synonyms': [s.name for s in e.synonyms.values()]}
                       for k, e in entries.items()}
    return {'configs': out}


def alter_configs(bs, a):
    res = [ConfigResource(ConfigResource.Type.TOPIC, t, set_config=cfg) for t, cfg in a['topics'].items()]
    return {'errors': {r.name: code_of(f) for r, f in admin(bs).alter_configs(res).items()}}


def list_topics(bs, a):
    md = admin(bs).list_topics(timeout=10)
    return {'topics': {t: sorted(p for p in m.partitions) for t, m in md.topics.items()},
            'brokers': {str(i): f'{b.host}:{b.port}' for i, b in md.brokers.items()},
            'controller': md.controller_id}


def producer_conf(bs, a):
    conf = {'bootstrap.servers': bs, 'client.id': 'e2e-confluent-producer',
            'enable.idempotence': a.get('idempotence', True), 'linger.ms': a.get('lingerMs', 5),
            'compression.type': a.get('compression', 'none')}
    if 'acks' in a:
        conf['acks'] = a['acks']
    conf.update(a.get('conf', {}))
    return conf


def produce(bs, a):
    p = Producer(producer_conf(bs, a))
    acks = [None] * len(a['messages'])

    def report(i):
        def cb(err, msg):
            acks[i] = {'error': err.code() if err else 0, 'partition': msg.partition(), 'offset': msg.offset(),
                       'timestamp': list(msg.timestamp())}
        return cb

    for i, m in enumerate(a['messages']):
        kw = {'value': unb64(m['value']), 'key': unb64(m['key']), 'on_delivery': report(i),
              'headers': [(h[0], unb64(h[1])) for h in m.get('headers', [])]}
        if 'partition' in m:
            kw['partition'] = m['partition']
        if 'timestamp' in m:
            kw['timestamp'] = m['timestamp']
        p.produce(a['topic'], **kw)
        p.poll(0)
    left = p.flush(30)
    return {'left': left, 'acks': acks}


def stream_produce(bs, a):
    # Produces key k-<i> / value v-<i> to one partition, printing each delivery report as its own
    # JSON line ({"i", "offset"} or {"i", "error"}) as soon as it arrives, until `count` messages
    # are produced and delivered (or failed). Used by the crash tests: the broker is killed and
    # restarted while this runs; the producer keeps retrying within message.timeout.ms.
    conf = producer_conf(bs, a)
    conf.setdefault('message.timeout.ms', 60000)
    p = Producer(conf)
    done = [0]

    def report(err, msg):
        i = int(msg.key()[2:])
        if err:
            print(json.dumps({'i': i, 'error': err.code(), 'reason': err.str()}), flush=True)
        else:
            print(json.dumps({'i': i, 'offset': msg.offset()}), flush=True)
        done[0] += 1

    pause = a.get('pauseEvery', 0)
    for i in range(a['count']):
        while True:
            try:
                p.produce(a['topic'], key=f'k-{i}'.encode(), value=f'v-{i}'.encode(), partition=0,
                          on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if pause and i % pause == pause - 1:
            time.sleep(0.002)
    deadline = time.time() + a.get('flushS', 90)
    while done[0] < a['count'] and time.time() < deadline:
        p.poll(0.1)
    return {'done': done[0]}


def consume(bs, a):
    # assign() with explicit offsets, no subscription; no group.id so no coordinator is used.
    c = Consumer({'bootstrap.servers': bs, 'client.id': 'e2e-confluent-consumer', 'group.id': 'unused',
                  'enable.auto.commit': False, 'enable.partition.eof': True, 'fetch.wait.max.ms': 100,
                  'auto.offset.reset': 'earliest'})
    try:
        c.assign([TopicPartition(a['topic'], p, a.get('offset', OFFSET_BEGINNING)) for p in a['partitions']])
        out = []
        eof = set()
        deadline = time.time() + a.get('timeoutS', 20)
        while len(eof) < len(a['partitions']) and time.time() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof.add(m.partition())
                    continue
                raise KafkaException(m.error())
            eof.discard(m.partition())
            out.append({'partition': m.partition(), 'offset': m.offset(), 'timestamp': list(m.timestamp()),
                        'key': b64(m.key()), 'value': b64(m.value()),
                        'headers': [[h[0], b64(h[1])] for h in (m.headers() or [])]})
        marks = {str(p): list(c.get_watermark_offsets(TopicPartition(a['topic'], p), timeout=10))
                 for p in a['partitions']}
        return {'records': out, 'watermarks': marks}
    finally:
        c.close()


STEPS = {f.__name__: f for f in [create_topics, create_partitions, delete_topics, describe_configs, alter_configs,
                                  list_topics, produce, stream_produce, consume]}

if __name__ == '__main__':
    bootstrap, step = sys.argv[1], sys.argv[2]
    args = json.loads(sys.stdin.read() or '{}')
    print(json.dumps(STEPS[step](bootstrap, args)), flush=True)
