// Client quotas and the pre-authentication frame limit against one broker process, with
// confluent-kafka (librdkafka) as the client: quotas set and described with kafka-configs.sh; a
// client-id with producer_byte_rate=1048576 produces at ~1 MiB/s and is told throttle times
// (librdkafka's throttle_cb) while another client-id on the same broker is not throttled; a
// client-id with consumer_byte_rate is held near its rate; on the SASL listener a 50 MB size prefix
// before authentication closes the connection at once, while an authenticated client still sends a
// 700 KiB message. The broker measures over quota.window.num=2 one-second windows so that the rate
// settles within the test's seconds (Kafka's default 11 windows allow a 10 s burst first).

import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'
import { PYTHON, runOk } from '../support/e2e-clients.ts'

const MiB = 1024 * 1024

const CLIENT = `
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
mode, bootstrap, client_id, topic, seconds, limit = sys.argv[1:7]
seconds, limit = float(seconds), int(limit)
extra = json.loads(sys.argv[7]) if len(sys.argv) > 7 else {}
size = int(extra.pop('_size', 10240))
# Seconds after the first message before the steady rate is measured: the burst the broker's
# quota window (2 x 1 s here) lets through first, counted from when traffic started, not from
# this process's start (connecting takes a while on a loaded machine).
burst = float(extra.pop('_burst_s', 1.0))
throttles = []
def on_throttle(ev):
    throttles.append((time.monotonic(), ev.throttle_time))
conf = dict({'bootstrap.servers': bootstrap, 'client.id': client_id, 'throttle_cb': on_throttle}, **extra)
done = []
start = time.monotonic()
if mode == 'produce':
    # Requests of at most 128 KiB, at most 3 in flight: few are read before a throttle mutes, so the
    # rate over the broker's 2 s window settles within seconds.
    p = Producer(dict({'linger.ms': 5, 'queue.buffering.max.kbytes': 1024, 'batch.size': 131072,
                       'max.in.flight': 3}, **conf))
    payload = b'x' * size
    def cb(err, msg):
        if err is None: done.append((time.monotonic(), len(msg.value())))
        else: print('delivery failed', err, file=sys.stderr)
    sent = 0
    while time.monotonic() - start < seconds and sent < limit:
        try:
            p.produce(topic, payload, callback=cb)
            sent += 1
        except BufferError:
            p.poll(0.01)
            continue
        p.poll(0)
    p.flush(30)
else:
    c = Consumer(dict(conf, **{'group.id': 'g-' + client_id, 'enable.auto.commit': False,
                               'max.partition.fetch.bytes': 262144}))
    c.assign([TopicPartition(topic, 0, 0)])
    while time.monotonic() - start < seconds and len(done) < limit:
        for m in c.consume(1000, 0.1):
            if m.error() is None: done.append((time.monotonic(), len(m.value())))
    c.close()
# The rate after the burst the window allows, from one delivery to the last: throttled traffic
# arrives in bursts a throttle time apart, so the interval starts at a burst and counts only the
# bytes of the bursts after it (a start at an arbitrary time would count one burst too many).
end = done[-1][0] if done else time.monotonic()
since = (done[0][0] if done else start) + burst
first = next((t for t, _ in done if t > since), end)
steady = [b for t, b in done if t > first + 0.05]
print(json.dumps({'bytes': sum(b for _, b in done), 'seconds': end - start,
                  'steadyRate': sum(steady) / max(0.001, end - first),
                  'rate': sum(b for _, b in done) / max(0.001, end - start),
                  'throttles': len(throttles), 'maxThrottleMs': 1000 * max([t for _, t in throttles] or [0])}))
`

interface Result {
  bytes: number
  seconds: number
  steadyRate: number
  rate: number
  throttles: number
  maxThrottleMs: number
}

async function client(
  mode: 'produce' | 'consume',
  bootstrap: string,
  clientId: string,
  topic: string,
  seconds: number,
  limit: number,
  extra: Record<string, unknown> = {},
): Promise<Result> {
  const r = await runOk(
    PYTHON,
    ['-c', CLIENT, mode, bootstrap, clientId, topic, String(seconds), String(limit), JSON.stringify(extra)],
    { timeoutMs: 60_000 },
  )
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result
}

function portOf(b: BrokerProcess, name: string): number {
  const m = new RegExp(`listeners=\\S*${name}://[^:,\\s]+:(\\d+)`).exec(b.output())
  if (m === null) throw new Error(`no ${name} listener in:\n${b.output()}`)
  return Number(m[1])
}

describe('client quotas (confluent-kafka)', () => {
  let broker: BrokerProcess
  let bootstrap: string
  const configs = (...args: string[]) =>
    runOk(join(REPO, 'bin/kafka-configs.sh'), ['--bootstrap-server', bootstrap, ...args])

  before(async () => {
    broker = await startBrokerProcess({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl.plain.sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
        'quota.window.num': 2,
        'quota.window.size.seconds': 1,
      },
    })
    bootstrap = broker.bootstrap
  })
  after(async () => {
    await broker?.stop()
    broker?.cleanup()
  })

  it('kafka-configs.sh sets and describes client-id quotas', async () => {
    await configs(
      '--alter',
      '--entity-type',
      'clients',
      '--entity-name',
      'slow',
      '--add-config',
      `producer_byte_rate=${MiB}`,
    )
    await configs(
      '--alter',
      '--entity-type',
      'clients',
      '--entity-name',
      'slow-consumer',
      '--add-config',
      `consumer_byte_rate=${MiB}`,
    )
    const d = await configs('--describe', '--entity-type', 'clients')
    assert.match(d.stdout, new RegExp(`Quota configs for client-id 'slow' are producer_byte_rate=${MiB}\\.0`))
    assert.match(
      d.stdout,
      new RegExp(`Quota configs for client-id 'slow-consumer' are consumer_byte_rate=${MiB}\\.0`),
    )
  })

  it('a producer over producer_byte_rate is held to ~1 MiB/s and throttled; another client-id is not', async () => {
    // 20 MiB from an unthrottled client-id first: the topic the throttled consumer then reads.
    const fast = await client('produce', bootstrap, 'fast', 'fill', 10, 2048)
    assert.equal(fast.bytes, 2048 * 10240)
    assert.equal(fast.throttles, 0, 'the other client-id is not throttled')
    assert.ok(fast.rate > 4 * MiB, `unthrottled client-id produced at ${(fast.rate / MiB).toFixed(2)} MiB/s`)
    const [slow, consumer] = await Promise.all([
      client('produce', bootstrap, 'slow', 'quota', 6, 1_000_000, { _burst_s: 2 }),
      client('consume', bootstrap, 'slow-consumer', 'fill', 4, 1_000_000),
    ])
    const mibs = slow.steadyRate / MiB
    console.log(
      `producer_byte_rate=1 MiB/s: ${mibs.toFixed(3)} MiB/s after the 2 s window's burst, ${slow.throttles} throttles (max ${slow.maxThrottleMs.toFixed(0)} ms); consumer_byte_rate=1 MiB/s: ${(consumer.steadyRate / MiB).toFixed(3)} MiB/s, ${consumer.throttles} throttles`,
    )
    assert.ok(mibs > 0.8 && mibs < 1.2, `throttled producer at ${mibs.toFixed(3)} MiB/s`)
    assert.ok(slow.throttles > 0 && slow.maxThrottleMs > 0, 'librdkafka was told throttle times')
    const cmibs = consumer.steadyRate / MiB
    assert.ok(cmibs > 0.3 && cmibs < 1.5, `throttled consumer at ${cmibs.toFixed(3)} MiB/s`)
    assert.ok(consumer.throttles > 0, 'the consumer was told throttle times')
  })

  it('a 50 MB size prefix before SASL authentication closes the connection at once', async () => {
    const port = portOf(broker, 'SASL')
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        const prefix = Buffer.alloc(4)
        prefix.writeInt32BE(50 * 1000 * 1000)
        s.write(prefix)
      })
      s.on('error', () => {})
      const t = setTimeout(() => {
        s.destroy()
        resolve(false)
      }, 3000)
      s.once('close', () => {
        clearTimeout(t)
        resolve(true)
      })
    })
    assert.equal(closed, true, 'closed on the size prefix, without waiting for the body')
    // After authentication frames above sasl.server.max.receive.size (512 KiB) are accepted.
    const big = await client('produce', `127.0.0.1:${port}`, 'sasl-big', 'big', 10, 1, {
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'PLAIN',
      'sasl.username': 'alice',
      'sasl.password': 'alice-secret',
      'message.max.bytes': 2 * MiB,
      _size: 700 * 1024,
    })
    assert.equal(big.bytes, 700 * 1024)
  })
})
