#!/usr/bin/env python3
# confluent-kafka 1.7.0 (librdkafka 2.0.2) consumer for test/e2e/transactions-log.test.ts: reads one
# partition from the beginning to its end (the last stable offset under read_committed, the high
# watermark under read_uncommitted) with the given isolation.level, and prints one JSON line: the
# offsets and values read (control records never reach the application) and the high offset the
# consumer was told. Usage: txn_log_consumer.py <bootstrap> <topic> <isolation.level>
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

bootstrap, topic, isolation = sys.argv[1], sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False,
              'enable.partition.eof': True, 'fetch.wait.max.ms': 100, 'isolation.level': isolation})
try:
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    deadline = time.time() + 20
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                break
            raise KafkaException(m.error())
        out.append([m.offset(), m.value().decode('utf-8')])
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=True)
    print(json.dumps({'records': out, 'high': high}), flush=True)
finally:
    c.close()
