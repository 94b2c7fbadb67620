// Where a follower truncates when the leader reports a diverging epoch (Kafka's
// getOffsetTruncationState, used by truncateOnFetchResponse). A pure function of the follower's
// log and the leader's answer, kept apart so the rules can be read (and tested) on their own:
// - the leader knows no end offset (-1): keep the current fetch offset;
// - it gives an offset without an epoch: min(that offset, our LEO);
// - we have no epoch <= the leader's: min(the leader's end offset, our LEO);
// - our largest epoch <= the leader's is an older one (we never had the leader's epoch): our end
//   of that older epoch (capped by the LEO); the next fetch, with the new last epoch, finds the
//   next divergence point if there is one;
// - else min(our end of that epoch, the leader's end of it, our LEO).

import type { FollowerLog } from './follower-log.ts'

export interface EpochEndOffset {
  epoch: number
  endOffset: bigint
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b)

export function divergenceTruncationOffset(
  log: Pick<FollowerLog, 'logEndOffset' | 'endOffsetForEpoch'>,
  fetchOffset: bigint,
  leader: EpochEndOffset,
): bigint {
  const leo = log.logEndOffset()
  if (leader.endOffset < 0n) return fetchOffset
  if (leader.epoch < 0) return min(leader.endOffset, leo)
  const ours = log.endOffsetForEpoch(leader.epoch)
  if (ours.endOffset < 0n) return min(leader.endOffset, leo)
  if (ours.epoch !== leader.epoch) return min(ours.endOffset, leo)
  return min(min(ours.endOffset, leader.endOffset), leo)
}
