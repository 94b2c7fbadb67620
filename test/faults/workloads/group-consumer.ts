// The consumer-group workload of the fault suite (issue 12): N members of one group, each a
// confluent-kafka process (group_consumer.py), consuming the fault topic and committing offsets
// synchronously. Every read and every commit, with its outcome, is collected in the shapes that
// consumer-checker.ts judges.
//
// Why confluent-kafka (librdkafka 2.0.2) and not kafkajs' consumer: librdkafka rediscovers a dead
// coordinator and rejoins on its own, and is shown doing so against this broker by
// test/e2e/replication.test.ts (a group member across kill -9 of its coordinator's broker), while
// kafkajs' consumer stops its run loop on errors it deems fatal (a coordinator that stays away past
// its retries) and must be restarted from outside, which would make the restart, not the broker,
// decide what the history shows. It also puts a second client implementation under the faults:
// the producer side has kafkajs.

import { join } from 'node:path'
import { PYTHON } from '../../support/e2e-clients.ts'
import type { Commit, Read } from '../consumer-checker.ts'
import { type ChildLines, startChildLines } from './child-lines.ts'

export interface GroupConsumerOptions {
  group: string
  topic: string
  /** Members of the group (processes), default 2. */
  members?: number
  /** Commit after this many records or this long, whichever first (default 20, 1000 ms). */
  commitEvery?: number
  commitIntervalMs?: number
  sessionTimeoutMs?: number
}

export interface MemberEvent {
  member: number
  t: number
  assigned?: number[]
  revoked?: number[]
  pollError?: number
  reason?: string
}

export interface GroupConsumers {
  members: ChildLines[]
  /** Every record read by any member, in arrival order (t: the member's clock, ms). */
  reads: Read[]
  /** Every commit and its outcome. */
  commits: Commit[]
  /** Rebalances and errors the members reported (for the run's log). */
  events: MemberEvent[]
  /** Records read per partition: the highest offset + 1 read by any member. */
  readUpTo(): Map<number, number>
  /** SIGTERM every member: each commits what it read, leaves the group and exits. */
  stop(): Promise<(number | null)[]>
  kill(): void
  stderr(): string
}

const SCRIPT = join(import.meta.dirname, 'group_consumer.py')

export function startGroupConsumers(bootstrap: string, o: GroupConsumerOptions): GroupConsumers {
  const reads: Read[] = []
  const commits: Commit[] = []
  const events: MemberEvent[] = []
  const upTo = new Map<number, number>()
  const members: ChildLines[] = []
  for (let member = 0; member < (o.members ?? 2); member++) {
    const args = {
      bootstrap,
      group: o.group,
      topic: o.topic,
      commitEvery: o.commitEvery ?? 20,
      commitIntervalMs: o.commitIntervalMs ?? 1000,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10000,
      clientId: `samsa-faults-group-${process.pid}-${member}`,
    }
    const consumer = `member-${member}`
    let assignment = 0
    members.push(
      startChildLines({
        cmd: PYTHON,
        args: [SCRIPT, JSON.stringify(args)],
        onLine(l, at) {
          const t = typeof l.t === 'number' ? l.t : at
          if (typeof l.commit === 'number') {
            commits.push({
              group: o.group,
              consumer,
              p: l.commit,
              offset: Number(l.offset),
              ok: l.ok === true,
              ...(l.ok === true ? {} : { error: Number(l.error), reason: String(l.reason) }),
              t,
            })
          } else if (typeof l.p === 'number' && typeof l.offset === 'number') {
            const value = (l.value as string | null) ?? null
            reads.push({ consumer, group: o.group, p: l.p, offset: l.offset, value, t, assignment })
            upTo.set(l.p, Math.max(upTo.get(l.p) ?? 0, l.offset + 1))
          } else if (Array.isArray(l.assigned) || Array.isArray(l.revoked) || 'pollError' in l) {
            if (Array.isArray(l.assigned)) assignment++
            events.push({ member, t, ...(l as Omit<MemberEvent, 'member' | 't'>) })
          }
        },
      }),
    )
  }
  return {
    members,
    reads,
    commits,
    events,
    readUpTo: () => new Map(upTo),
    stop: () => Promise.all(members.map((m) => m.stop(30000))),
    kill: () => {
      for (const m of members) m.kill()
    },
    stderr: () =>
      members
        .map((m, k) => (m.stderr().trim() ? `member-${k}: ${m.stderr().trim().slice(-2000)}` : ''))
        .filter(Boolean)
        .join('\n'),
  }
}
