// The effective log config of a topic on this broker: topic overrides over the broker's dynamic
// and static settings over Kafka's defaults (config/topic-config.ts), as storage's LogConfig.
// The broker passes this to the ReplicaManager as `logConfigFor`.

import { toLogConfig } from '../config/log-config-mapping.ts'
import { resolveTopicConfig } from '../config/topic-config.ts'
import { dynamicLayersOf, type MetadataImage, type TopicImage } from '../metadata/image.ts'
import type { LogConfig } from '../storage/log-config.ts'

export function topicLogConfigResolver(
  staticConfig: ReadonlyMap<string, string>,
  brokerId: number,
): (topic: TopicImage, image: MetadataImage) => LogConfig {
  return (topic, image) =>
    toLogConfig(
      resolveTopicConfig(topic.configs, { static: staticConfig, ...dynamicLayersOf(image, brokerId) }),
    )
}
