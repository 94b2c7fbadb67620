// Kafka's IncludeList: how --topic (for --list/--describe/--delete/--alter), --include and
// --topic-partitions turn a user's pattern into a topic filter. The pattern is trimmed, commas
// become '|', spaces are removed, and surrounding quotes are stripped; a topic is included when the
// whole name matches. Java regular expressions are read as JavaScript ones, which agree on
// everything people write in topic patterns.

export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state'])

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name)
}

export class IncludeList {
  readonly pattern: RegExp
  constructor(raw: string) {
    const cleaned = raw
      .trim()
      .replaceAll(',', '|')
      .replaceAll(' ', '')
      .replace(/^["']+/, '')
      .replace(/["']+$/, '')
    try {
      this.pattern = new RegExp(`^(?:${cleaned})$`)
    } catch (e) {
      throw new Error(`${(e as Error).message.replace(/^Invalid regular expression: /, '')}`)
    }
  }

  matches(topic: string): boolean {
    return this.pattern.test(topic)
  }

  isTopicAllowed(topic: string, excludeInternalTopics: boolean): boolean {
    return this.matches(topic) && !(excludeInternalTopics && isInternalTopic(topic))
  }
}
