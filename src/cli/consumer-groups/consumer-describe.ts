// KIP-848 consumer groups for kafka-consumer-groups.sh --describe: DescribeGroups answers
// GROUP_ID_NOT_FOUND for them ("not a classic group"), so, as Kafka's tool does, the groups are
// first asked with ConsumerGroupDescribe at their coordinator; what it knows is shown in the same
// shape as a classic group (the assignor as the protocol), the rest goes to DescribeGroups.

import type * as Kafka from '@platformatic/kafka'
import { loadKafka } from '../common/kafka.ts'

interface RawMember {
  memberId: string
  instanceId: string | null
  clientId: string
  clientHost: string
  assignment: { topicPartitions: { topicName: string; partitions: number[] }[] }
}

interface RawGroup {
  errorCode: number
  groupId: string
  groupState: string
  assignorName: string
  members: RawMember[]
  authorizedOperations: number
}

async function describeAt(
  admin: Kafka.Admin,
  broker: { host: string; port: number },
  ids: string[],
): Promise<RawGroup[]> {
  const k = await loadKafka()
  const connection = await new Promise<Kafka.Connection>((resolve, reject) => {
    admin[k.kGetConnection](broker, (e, c) => (e ? reject(e) : resolve(c as Kafka.Connection)))
  })
  const fn = await new Promise<Kafka.API<unknown[], unknown>>((resolve, reject) => {
    admin[k.kGetApi]('ConsumerGroupDescribe', (e, a) =>
      e ? reject(e) : resolve(a as Kafka.API<unknown[], unknown>),
    )
  })
  try {
    return ((await fn.async(connection, ids, false)) as { groups: RawGroup[] }).groups
  } catch (e) {
    // The client rejects an answer with any per-group error; the groups that are fine are in it.
    const response = (e as { response?: { groups?: RawGroup[] } }).response
    if (response?.groups !== undefined) return response.groups
    throw e
  }
}

/** The consumer-protocol groups among `ids`, as Group objects; empty when the broker lacks the API. */
export async function describeConsumerProtocolGroups(
  admin: Kafka.Admin,
  ids: string[],
): Promise<Map<string, Kafka.Group>> {
  const out = new Map<string, Kafka.Group>()
  let coordinators: { key: string; host: string; port: number }[]
  try {
    coordinators = await admin.findCoordinator({ keyType: 0, keys: ids })
  } catch {
    return out
  }
  const byBroker = new Map<string, { host: string; port: number; ids: string[] }>()
  for (const c of coordinators) {
    const key = `${c.host}:${c.port}`
    const entry = byBroker.get(key) ?? { host: c.host, port: c.port, ids: [] }
    entry.ids.push(c.key)
    byBroker.set(key, entry)
  }
  for (const b of byBroker.values()) {
    let groups: RawGroup[]
    try {
      groups = await describeAt(admin, b, b.ids)
    } catch {
      continue // no ConsumerGroupDescribe there: classic groups only
    }
    for (const g of groups) {
      if (g.errorCode !== 0) continue
      const members = new Map<string, Kafka.GroupMember>()
      for (const m of g.members)
        members.set(m.memberId, {
          id: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignments: new Map(
            m.assignment.topicPartitions.map((t) => [
              t.topicName,
              { topic: t.topicName, partitions: t.partitions },
            ]),
          ),
        })
      out.set(g.groupId, {
        id: g.groupId,
        state: g.groupState as Kafka.Group['state'],
        protocolType: 'consumer',
        protocol: g.assignorName,
        members,
        authorizedOperations: g.authorizedOperations,
      })
    }
  }
  return out
}
