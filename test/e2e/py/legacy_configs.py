# Kafka 3.x topic configs through librdkafka's admin API (confluent-kafka): create a topic with
# message.timestamp.difference.max.ms, AlterConfigs message.format.version=0.10.0.0, describe, and
# produce one record with a timestamp older than the difference (refused) and one now (accepted).
# Prints one JSON line: what each step answered.
import json, sys, time
from confluent_kafka import Producer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
out = {}
fs = admin.create_topics([NewTopic(topic, 1, 1, config={'message.timestamp.difference.max.ms': '60000'})])
fs[topic].result(30)
res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'message.format.version': '0.10.0.0', 'message.timestamp.difference.max.ms': '60000'})
try:
    admin.alter_configs([res])[res].result(30)
    out['alter'] = 'ok'
except KafkaException as e:
    out['alter'] = str(e)
bad = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={'message.format.version': 'not-a-version'})
try:
    admin.alter_configs([bad])[bad].result(30)
    out['alter_bad'] = 'ok'
except KafkaException as e:
    out['alter_bad'] = e.args[0].name()
desc = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
entries = list(desc.values())[0].result(30)
out['described'] = {k: entries[k].value for k in ('message.format.version', 'message.timestamp.difference.max.ms', 'message.timestamp.before.max.ms') if k in entries}
results = {}
def report(err, msg):
    results[msg.value().decode()] = err.name() if err else 'ok'
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'retries': 0})
now = int(time.time() * 1000)
p.produce(topic, value=b'old', timestamp=now - 3600 * 1000, on_delivery=report)
p.flush(30)
p.produce(topic, value=b'new', timestamp=now, on_delivery=report)
p.flush(30)
out['produce'] = results
print(json.dumps(out))
