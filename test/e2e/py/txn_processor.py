#!/usr/bin/env python3
# A consume-transform-produce processor (confluent-kafka 1.7.0, librdkafka 2.0.2) for the kill -9
# tests of transactions (test/e2e/txn-ctp.ts): reads the input topic with read_committed in a
# consumer group, writes each record upper-cased, tagged with its input partition and offset, to
# the output topic, and sends the consumer's positions to the same transaction
# (send_offsets_to_transaction). The test kills it with SIGKILL at random points and starts it
# again with the same transactional.id; exactly-once means the output holds every input record
# once and the group's offsets end at the input's end.
#
# Usage: txn_processor.py <bootstrap>, arguments as one JSON document on stdin:
#   txn_id, group, input, output, partitions (count), ends ({partition: end offset}),
#   max_batch (records per transaction), delay_ms (pause between transactions),
#   mode ('assign': the group's committed offsets, no membership; 'subscribe': a static member).
# Prints "ready", then "committed <records in this transaction>" after each commit, and exits 0
# with "done" once the positions reach `ends`.
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def committed(consumer, topic, parts):
    # The group coordinator may be moving (a broker was killed): retry what is retriable.
    for attempt in range(60):
        try:
            return consumer.committed([TopicPartition(topic, p) for p in parts], 10)
        except KafkaException as e:
            if attempt == 59 or not (e.args[0].retriable() or e.args[0].code() in (14, 15, 16)):
                raise
            time.sleep(0.5)


def main():
    bs = sys.argv[1]
    a = json.loads(sys.stdin.read())
    ends = {int(p): int(o) for p, o in a['ends'].items()}
    parts = list(range(a['partitions']))
    producer = Producer({
        'bootstrap.servers': bs,
        'transactional.id': a['txn_id'],
        'transaction.timeout.ms': 10000,
        'linger.ms': 5,
        'client.id': 'ctp-' + a['txn_id'],
    })
    # Fences the previous incarnation and aborts its open transaction (and its pending offsets)
    # before this one reads the group's committed offsets.
    producer.init_transactions(60)
    conf = {
        'bootstrap.servers': bs,
        'group.id': a['group'],
        'enable.auto.commit': False,
        'isolation.level': 'read_committed',
        'auto.offset.reset': 'earliest',
        'enable.partition.eof': False,
    }
    if a.get('mode') == 'subscribe':
        conf.update({'group.instance.id': a['txn_id'], 'session.timeout.ms': 6000})
    consumer = Consumer(conf)
    if a.get('mode') == 'subscribe':
        consumer.subscribe([a['input']])
    else:
        consumer.assign([TopicPartition(a['input'], p) for p in parts])
    print('ready', flush=True)
    # Where the group stands per partition: its committed offset, then past each record handled
    # (position() knows only partitions this incarnation consumed from).
    pos = {tp.partition: tp.offset for tp in committed(consumer, a['input'], parts)}
    while not all(pos.get(p, -1) >= ends[p] for p in parts):
        msgs = consumer.consume(a.get('max_batch', 20), 0.5)
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            continue
        producer.begin_transaction()
        for m in msgs:
            tag = '%d:%d:' % (m.partition(), m.offset())
            producer.produce(a['output'], value=(tag + m.value().decode().upper()).encode(),
                             partition=m.partition())
            pos[m.partition()] = m.offset() + 1
        offsets = [TopicPartition(a['input'], p, o) for p, o in pos.items() if o >= 0]
        producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(30)
        print('committed %d' % len(msgs), flush=True)
        if a.get('delay_ms'):
            time.sleep(a['delay_ms'] / 1000.0)
    consumer.close()
    print('done', flush=True)


if __name__ == '__main__':
    try:
        main()
    except KafkaException as e:
        print('error %s' % e, flush=True)
        sys.exit(2)
