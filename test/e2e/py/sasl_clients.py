#!/usr/bin/env python3
# SASL with confluent-kafka and kafka-python, for test/e2e/sasl-clients.test.ts: both produce once
# per mechanism as alice, read everything back, and a wrong password must be refused. Usage:
# sasl_clients.py <bootstrap> <mech,mech,...> <topic> <SASL_PLAINTEXT|SASL_SSL> [<ca file>].
# The CA is the trust store on SASL_SSL (as in tls_clients.py). Prints one JSON line.
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from kafka import KafkaConsumer, KafkaProducer

bs, mechs, topic, protocol = sys.argv[1], sys.argv[2].split(','), sys.argv[3], sys.argv[4]
ca = sys.argv[5] if len(sys.argv) > 5 else None


def ck(mech, **extra):
    conf = {'bootstrap.servers': bs, 'security.protocol': protocol, 'sasl.mechanisms': mech,
            'sasl.username': 'alice', 'sasl.password': 'alice-secret'}
    if ca:
        conf['ssl.ca.location'] = ca
    conf.update(extra)
    return conf


def kp(mech, password='alice-secret'):
    conf = {'bootstrap_servers': bs, 'security_protocol': protocol, 'sasl_mechanism': mech,
            'sasl_plain_username': 'alice', 'sasl_plain_password': password}
    if ca:
        conf['ssl_cafile'] = ca
    return conf


out = {}
for m in mechs:
    p = Producer(ck(m))
    p.produce(topic, ('ck-' + m).encode())
    assert p.flush(20) == 0, 'confluent produce did not complete'
    k = KafkaProducer(**kp(m))
    k.send(topic, ('kp-' + m).encode()).get(timeout=20)
    k.close()

c = Consumer(ck('SCRAM-SHA-256', **{'group.id': 'g-' + topic}))
c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
seen = []
end = time.time() + 20
while len(seen) < 2 * len(mechs) and time.time() < end:
    msg = c.poll(0.5)
    if msg is not None and msg.error() is None:
        seen.append(msg.value().decode())
c.close()
kc = KafkaConsumer(topic, auto_offset_reset='earliest', consumer_timeout_ms=1000, **kp('SCRAM-SHA-512'))
out['confluent'] = sorted(seen)
out['kafka_python'] = sorted(m.value.decode() for m in kc)
kc.close()
try:
    KafkaProducer(api_version_auto_timeout_ms=3000, **kp('SCRAM-SHA-512', 'nope'))
    out['wrong'] = 'accepted'
except Exception as e:
    out['wrong'] = type(e).__name__
print(json.dumps(out))
