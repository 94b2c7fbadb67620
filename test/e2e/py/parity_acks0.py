#!/usr/bin/env python3
# confluent-kafka (librdkafka) acks=0 producer for test/e2e/parity-produce.test.ts: produces a good
# record, then one the broker refuses, and reports how many times librdkafka saw the broker close
# the connection after each. Usage: parity_acks0.py <bootstrap> <topic> <bad record size>.
# Prints one JSON line: {"afterGood": n, "afterBad": n, "log": [...]}.
import json
import logging
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, bad_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = []


class Collect(logging.Handler):
    def emit(self, record):
        lines.append(record.getMessage())


log = logging.getLogger('parity-acks0')
log.addHandler(Collect())
log.setLevel(logging.DEBUG)
producer = Producer({'bootstrap.servers': bootstrap, 'acks': 0, 'linger.ms': 0, 'debug': 'broker'}, logger=log)


def disconnects():
    # The broker connection (node 1), not the bootstrap one.
    return sum(1 for m in lines if '/1: Disconnected' in m)


def settle(seconds, until=None):
    end = time.time() + seconds
    while time.time() < end and not (until and until()):
        producer.poll(0.05)


producer.produce(topic, b'fine')
producer.flush(10)
settle(1.0)
after_good = disconnects()
producer.produce(topic, b'x' * bad_size)
producer.flush(10)
settle(5.0, lambda: disconnects() > after_good)
print(json.dumps({
    'afterGood': after_good,
    'afterBad': disconnects(),
    'log': [m for m in lines if 'Disconnected' in m],
}))
