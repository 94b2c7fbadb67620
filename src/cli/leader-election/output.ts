// What kafka-leader-election.sh prints for the controller's answer, as Kafka's LeaderElectionCommand
// prints it (on standard output):
//
//   Successfully completed leader election (PREFERRED) for partitions t-0, t-1
//   Valid replica already elected for partitions t-2
//   Error completing leader election (PREFERRED) for partition: t-3: <Java exception>: <message>
//
// then, when some failed, `N replica(s) could not be elected` on standard error and exit 1.
// ELECTION_NOT_NEEDED counts as "already elected", not as a failure. Kafka lists the partitions of
// each line in hash-set order; here they are sorted by topic, then partition, so output is stable.
// A failure shows the Java client's exception (its class name, then the broker's message or the
// error's standard one), because scripts written for Kafka match on those names.

import { type ElectionType, partitionName } from './options.ts'

export interface PartitionElection {
  topic: string
  partition: number
  /** null: elected. */
  error: { name: string; message: string } | null
}

export interface ElectionReport {
  stdout: string[]
  /** The message ending the tool with exit 1, or null when nothing failed. */
  failure: string | null
}

const ELECTION_NOT_NEEDED = 'ELECTION_NOT_NEEDED'

const byPartition = (a: PartitionElection, b: PartitionElection) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition

export function formatElectionResults(
  type: ElectionType,
  results: readonly PartitionElection[],
): ElectionReport {
  const sorted = [...results].sort(byPartition)
  const succeeded = sorted.filter((r) => r.error === null)
  const noop = sorted.filter((r) => r.error?.name === ELECTION_NOT_NEEDED)
  const failed = sorted.filter((r) => r.error !== null && r.error.name !== ELECTION_NOT_NEEDED)
  const stdout: string[] = []
  if (succeeded.length > 0)
    stdout.push(
      `Successfully completed leader election (${type}) for partitions ${succeeded.map(partitionName).join(', ')}`,
    )
  if (noop.length > 0)
    stdout.push(`Valid replica already elected for partitions ${noop.map(partitionName).join(', ')}`)
  for (const f of failed) {
    stdout.push(
      `Error completing leader election (${type}) for partition: ${partitionName(f)}: ${javaException(f.error!.name, f.error!.message)}`,
    )
  }
  return { stdout, failure: failed.length > 0 ? `${failed.length} replica(s) could not be elected` : null }
}

/** Error names whose Java exception class is not the name in camel case plus "Exception". */
const IRREGULAR: Readonly<Record<string, string>> = {
  UNKNOWN_SERVER_ERROR: 'UnknownServerException',
  REQUEST_TIMED_OUT: 'TimeoutException',
  INVALID_TOPIC_EXCEPTION: 'InvalidTopicException',
  CLUSTER_AUTHORIZATION_FAILED: 'ClusterAuthorizationException',
  TOPIC_AUTHORIZATION_FAILED: 'TopicAuthorizationException',
  NOT_LEADER_OR_FOLLOWER: 'NotLeaderOrFollowerException',
  KAFKA_STORAGE_ERROR: 'KafkaStorageException',
  POLICY_VIOLATION: 'PolicyViolationException',
}

/** How Java prints the client's exception for an error: `org.apache.kafka.common.errors.X: message`. */
export function javaException(errorName: string, message: string): string {
  const cls =
    IRREGULAR[errorName] ??
    `${errorName
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('')}Exception`
  return `org.apache.kafka.common.errors.${cls}: ${message}`
}
