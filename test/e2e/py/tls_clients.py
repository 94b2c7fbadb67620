#!/usr/bin/env python3
# Produce then consume a few messages over TLS with confluent-kafka or kafka-python, for
# test/e2e/tls-clients.test.ts. Usage: tls_clients.py <confluent|kafka-python> <bootstrap> <topic>
# <ca file> [<client cert file> <client key file>]. Prints one JSON line: the values read back.
import json
import sys

lib, bootstrap, topic, ca = sys.argv[1:5]
cert, key = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)
values = ['%s-%d' % (lib, i) for i in range(5)]

if lib == 'confluent':
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    conf = {'bootstrap.servers': bootstrap, 'security.protocol': 'SSL', 'ssl.ca.location': ca}
    if cert:
        conf.update({'ssl.certificate.location': cert, 'ssl.key.location': key})
    p = Producer(dict(conf, **{'linger.ms': 5}))
    for v in values:
        p.produce(topic, v.encode())
    assert p.flush(20) == 0, 'produce did not complete'
    c = Consumer(dict(conf, **{'group.id': 'tls-' + lib, 'enable.auto.commit': False}))
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    for _ in range(100):
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
        if len(got) >= len(values):
            break
    c.close()
else:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    conf = {'bootstrap_servers': bootstrap, 'security_protocol': 'SSL', 'ssl_cafile': ca}
    if cert:
        conf.update({'ssl_certfile': cert, 'ssl_keyfile': key})
    p = KafkaProducer(**conf)
    for v in values:
        p.send(topic, v.encode())
    p.flush(20)
    p.close()
    c = KafkaConsumer(auto_offset_reset='earliest', consumer_timeout_ms=5000, **conf)
    c.assign([TopicPartition(topic, 0)])
    got = [m.value.decode() for _, m in zip(values, c)]
    c.close()

print(json.dumps(got))
