#!/usr/bin/env python3
# kafka-python 2.0.2 steps for test/e2e/clients-kafka-python.test.ts.
# Usage: kafka_python_client.py <bootstrap> <step> ; the step's arguments come as one JSON
# document on stdin, its result is printed as one JSON line on stdout (last line).
# Keys, values and header values travel as base64 (None stays null) so any bytes round-trip.
import base64
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import BrokerResponseError


def b64(b):
    return None if b is None else base64.b64encode(b).decode('ascii')


def unb64(s):
    return None if s is None else base64.b64decode(s)


def admin(bs):
    return KafkaAdminClient(bootstrap_servers=bs, client_id='e2e-kafka-python-admin', request_timeout_ms=10000)


def create_topics(bs, a):
    c = admin(bs)
    try:
        topics = [NewTopic(t['name'], t['partitions'], t['replication'], topic_configs=t.get('configs', {}))
                  for t in a['topics']]
        r = c.create_topics(topics, timeout_ms=10000, validate_only=a.get('validateOnly', False))
        return {'version': r.API_VERSION,
                'errors': [{'name': e[0], 'code': e[1]} for e in r.topic_errors]}
    finally:
        c.close()


def describe_configs(bs, a):
    c = admin(bs)
    try:
        res = [ConfigResource(ConfigResourceType.TOPIC, t) for t in a['topics']]
        out = []
        for r in c.describe_configs(res, include_synonyms=a.get('synonyms', False)):
            for (code, _msg, rtype, rname, entries) in r.resources:
                # v0 entries: (name, value, read_only, is_default, is_sensitive)
                # v1+ entries: (name, value, read_only, config_source, is_sensitive, synonyms)
                out.append({'version': r.API_VERSION, 'code': code, 'type': rtype, 'name': rname,
                            'configs': {e[0]: {'value': e[1], 'readOnly': e[2], 'source': e[3], 'sensitive': e[4]}
                                        for e in entries}})
        return {'resources': out}
    finally:
        c.close()


def alter_configs(bs, a):
    c = admin(bs)
    try:
        res = [ConfigResource(ConfigResourceType.TOPIC, t, configs=cfg) for t, cfg in a['topics'].items()]
        r = c.alter_configs(res)
        return {'version': r.API_VERSION, 'errors': [{'code': e[0], 'name': e[3]} for e in r.resources]}
    finally:
        c.close()


def create_partitions(bs, a):
    c = admin(bs)
    try:
        r = c.create_partitions({t: NewPartitions(n) for t, n in a['topics'].items()}, timeout_ms=10000)
        return {'version': r.API_VERSION, 'errors': [{'name': e[0], 'code': e[1]} for e in r.topic_errors]}
    finally:
        c.close()


def delete_topics(bs, a):
    c = admin(bs)
    try:
        r = c.delete_topics(a['topics'], timeout_ms=10000)
        return {'version': r.API_VERSION, 'errors': [{'name': e[0], 'code': e[1]} for e in r.topic_error_codes]}
    finally:
        c.close()


def list_topics(bs, a):
    c = KafkaConsumer(bootstrap_servers=bs, group_id=None)
    try:
        topics = c.topics()
        return {'topics': sorted(topics),
                'partitions': {t: sorted(c.partitions_for_topic(t) or []) for t in topics}}
    finally:
        c.close()


def produce(bs, a):
    p = KafkaProducer(bootstrap_servers=bs, acks=a.get('acks', 'all'),
                      compression_type=a.get('compression'), linger_ms=a.get('lingerMs', 5),
                      client_id='e2e-kafka-python-producer')
    try:
        futures = []
        for m in a['messages']:
            futures.append(p.send(a['topic'], value=unb64(m['value']), key=unb64(m['key']),
                                  headers=[(h[0], unb64(h[1])) for h in m.get('headers', [])],
                                  partition=m.get('partition'), timestamp_ms=m.get('timestamp')))
        p.flush(timeout=20)
        acks = []
        for f in futures:
            md = f.get(timeout=20)
            acks.append({'partition': md.partition, 'offset': md.offset, 'timestamp': md.timestamp})
        return {'apiVersion': list(p.config['api_version']), 'acks': acks}
    finally:
        p.close(timeout=10)


def consume(bs, a):
    # No group: assign() then seek; poll until the expected count or the deadline.
    c = KafkaConsumer(bootstrap_servers=bs, group_id=None, enable_auto_commit=False,
                      auto_offset_reset='earliest', client_id='e2e-kafka-python-consumer',
                      fetch_max_wait_ms=100)
    try:
        tps = [TopicPartition(a['topic'], p) for p in a['partitions']]
        c.assign(tps)
        for tp in tps:
            c.seek(tp, a.get('offset', 0))
        out = []
        deadline = time.time() + a.get('timeoutS', 15)
        while len(out) < a['count'] and time.time() < deadline:
            for _tp, records in c.poll(timeout_ms=200).items():
                for r in records:
                    out.append({'partition': r.partition, 'offset': r.offset, 'timestamp': r.timestamp,
                                'timestampType': r.timestamp_type, 'key': b64(r.key), 'value': b64(r.value),
                                'headers': [[h[0], b64(h[1])] for h in r.headers]})
        end = c.end_offsets(tps)
        begin = c.beginning_offsets(tps)
        ts = {}
        if 'timestamp' in a:
            for tp, oat in c.offsets_for_times({tp: a['timestamp'] for tp in tps}).items():
                ts[str(tp.partition)] = None if oat is None else oat.offset
        return {'apiVersion': list(c.config['api_version']), 'records': out,
                'end': {str(tp.partition): o for tp, o in end.items()},
                'begin': {str(tp.partition): o for tp, o in begin.items()},
                'offsetsForTimes': ts}
    finally:
        c.close()


def raised_as_result(step):
    # The admin client raises on the first per-topic error; report its Kafka error code.
    def run(bs, a):
        try:
            return step(bs, a)
        except BrokerResponseError as e:
            return {'raised': {'code': e.errno, 'name': type(e).__name__}}
    run.__name__ = step.__name__
    return run


create_topics = raised_as_result(create_topics)
delete_topics = raised_as_result(delete_topics)
create_partitions = raised_as_result(create_partitions)

STEPS = {f.__name__: f for f in [create_topics, describe_configs, alter_configs, create_partitions, delete_topics,
                                  list_topics, produce, consume]}

if __name__ == '__main__':
    bootstrap, step = sys.argv[1], sys.argv[2]
    args = json.loads(sys.stdin.read() or '{}')
    print(json.dumps(STEPS[step](bootstrap, args)))
