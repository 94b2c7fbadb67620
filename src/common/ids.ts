// Branded identifiers. The protocol schemas name these as `entityType`; the generated codec types
// fields with them so a topic name cannot be passed where a group id is expected. They are plain
// strings/numbers/bigints at run time: branding costs nothing.

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

export type TopicName = Brand<string, 'TopicName'>
export type GroupId = Brand<string, 'GroupId'>
export type TransactionalId = Brand<string, 'TransactionalId'>
export type BrokerId = Brand<number, 'BrokerId'>
export type ProducerId = Brand<bigint, 'ProducerId'>
/** Kafka's textual Uuid form: 22 characters of URL-safe base64 without padding. */
export type Uuid = Brand<string, 'Uuid'>

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA' as Uuid

export const asTopicName = (s: string): TopicName => s as TopicName
export const asGroupId = (s: string): GroupId => s as GroupId
export const asBrokerId = (n: number): BrokerId => n as BrokerId
export const asProducerId = (n: bigint): ProducerId => n as ProducerId
