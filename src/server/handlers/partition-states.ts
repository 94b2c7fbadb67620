// LeaderAndIsr and UpdateMetadata carry their partition states in two layouts: one flat list with
// the topic name in each state (older versions), or grouped under their topic (newer ones, topic
// ids from a later version still). Both handlers flatten them the same way.

import type { TopicName, Uuid } from '../../common/ids.ts'
import { ZERO_UUID } from '../../common/ids.ts'

export interface FlatPartitionState<S> {
  topicName: TopicName
  topicId: Uuid
  state: S
}

/** Every state with its topic: `grouped` says which layout the version uses, `withIds` whether its topics carry ids. */
export function flatPartitionStates<S extends { topicName: TopicName }>(
  ungrouped: readonly S[],
  topics: readonly { topicName: TopicName; topicId: Uuid; partitionStates: readonly S[] }[],
  grouped: boolean,
  withIds: boolean,
): FlatPartitionState<S>[] {
  if (!grouped) return ungrouped.map((state) => ({ topicName: state.topicName, topicId: ZERO_UUID, state }))
  return topics.flatMap((t) =>
    t.partitionStates.map((state) => ({
      topicName: t.topicName,
      topicId: withIds ? t.topicId : ZERO_UUID,
      state,
    })),
  )
}
