// Kafka's rules for topic names (clients' Topic.validate): 1 to 249 characters from [a-zA-Z0-9._-],
// and not "." or "..". Because metric names replace '.' with '_', two topics whose names differ
// only there would collide: Kafka refuses to create the second one, and its tools warn about names
// that use either character.

export const MAX_TOPIC_NAME_LENGTH = 249

/** Why `name` is not a legal topic name, in Kafka's words; null when it is legal. */
export function invalidTopicNameReason(name: string): string | null {
  if (name.length === 0) return 'the empty string is not allowed'
  if (name === '.') return "'.' is not allowed"
  if (name === '..') return "'..' is not allowed"
  if (name.length > MAX_TOPIC_NAME_LENGTH)
    return `the length of '${name}' is longer than the max allowed length ${MAX_TOPIC_NAME_LENGTH}`
  if (!/^[a-zA-Z0-9._-]+$/.test(name))
    return `'${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`
  return null
}

/** "Topic name is invalid: …" or null. */
export function validateTopicName(name: string): string | null {
  const reason = invalidTopicNameReason(name)
  return reason === null ? null : `Topic name is invalid: ${reason}`
}

export const hasCollisionChars = (name: string): boolean => name.includes('.') || name.includes('_')

/** The name with '.' turned into '_': two names collide when these are equal. */
export const unifyCollisionChars = (name: string): string => name.replaceAll('.', '_')

/** The existing topic `name` collides with, if any (not counting an identical name). */
export function collidingTopic(name: string, existing: Iterable<string>): string | null {
  if (!hasCollisionChars(name)) return null
  const unified = unifyCollisionChars(name)
  for (const other of existing) {
    if (other !== name && hasCollisionChars(other) && unifyCollisionChars(other) === unified) return other
  }
  return null
}

/** The warning Kafka's tools print for a name with '.' or '_', or null. */
export function collisionWarning(name: string): string | null {
  return hasCollisionChars(name)
    ? "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."
    : null
}
