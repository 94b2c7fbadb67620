// How kafka-console-producer.sh turns a line of input into a record (Kafka's LineMessageReader):
//
//   [headers<headers.delimiter>][key<key.separator>]value
//
// Headers (with parse.headers=true) are `k1:v1,k2:v2` (headers.separator between pairs,
// headers.key.separator inside one). With parse.key=true the key runs to the first key.separator.
// A field equal to null.marker becomes null (a header key may not). A missing separator is an error
// unless ignore.error=true, which then reads the line as having no key/headers.
// Defaults: key.separator \t, headers.delimiter \t, headers.separator ',', headers.key.separator ':'.

import { isTrue } from '../common/props.ts'

export interface LineRecord {
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

export class LineReaderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KafkaException'
  }
}

export interface LineReaderConfig {
  parseKey: boolean
  keySeparator: string
  parseHeaders: boolean
  headersDelimiter: string
  headersSeparator: string
  headersKeySeparator: string
  ignoreError: boolean
  nullMarker: string | undefined
}

/** Reads the reader's properties (--property, --reader-config) and checks them as Kafka does. */
export function lineReaderConfig(props: ReadonlyMap<string, string>): LineReaderConfig {
  const c: LineReaderConfig = {
    parseKey: isTrue(props.get('parse.key')),
    keySeparator: props.get('key.separator') ?? '\t',
    parseHeaders: isTrue(props.get('parse.headers')),
    headersDelimiter: props.get('headers.delimiter') ?? '\t',
    headersSeparator: props.get('headers.separator') ?? ',',
    headersKeySeparator: props.get('headers.key.separator') ?? ':',
    ignoreError: isTrue(props.get('ignore.error')),
    nullMarker: props.get('null.marker'),
  }
  const differ = (a: string | undefined, b: string | undefined, an: string, bn: string) => {
    if (a !== undefined && a === b) throw new LineReaderError(`${an} and ${bn} may not be equal`)
  }
  differ(c.headersDelimiter, c.headersSeparator, 'headers.delimiter', 'headers.separator')
  differ(c.headersDelimiter, c.headersKeySeparator, 'headers.delimiter', 'headers.key.separator')
  differ(c.headersSeparator, c.headersKeySeparator, 'headers.separator', 'headers.key.separator')
  differ(c.keySeparator, c.nullMarker, 'null.marker', 'key.separator')
  differ(c.headersSeparator, c.nullMarker, 'null.marker', 'headers.separator')
  differ(c.headersDelimiter, c.nullMarker, 'null.marker', 'headers.delimiter')
  differ(c.headersKeySeparator, c.nullMarker, 'null.marker', 'headers.key.separator')
  return c
}

function field(
  c: LineReaderConfig,
  enabled: boolean,
  line: string,
  start: number,
  separator: string,
  name: string,
  lineNumber: number,
): string | null {
  if (!enabled) return null
  const i = line.indexOf(separator, start)
  if (i === -1) {
    if (c.ignoreError) return null
    throw new LineReaderError(`No ${name} found on line number ${lineNumber}: '${line}'`)
  }
  return line.slice(start, i)
}

function splitHeaders(c: LineReaderConfig, headers: string, lineNumber: number): [string, string | null][] {
  // headers.separator is a regular expression in Kafka (Pattern.split).
  return headers.split(new RegExp(c.headersSeparator)).map((pair): [string, string | null] => {
    const i = pair.indexOf(c.headersKeySeparator)
    if (i === -1) {
      if (c.ignoreError) return [pair, null]
      throw new LineReaderError(
        `No header key separator found in pair '${pair}' on line number ${lineNumber}`,
      )
    }
    const key = pair.slice(0, i)
    if (key === c.nullMarker) {
      throw new LineReaderError(
        `Header keys should not be equal to the null marker '${c.nullMarker}' as they can't be null`,
      )
    }
    const value = pair.slice(i + c.headersKeySeparator.length)
    return [key, value === c.nullMarker ? null : value]
  })
}

/** One line (without its terminator) as a record; lineNumber counts from 1. */
export function parseLine(c: LineReaderConfig, line: string, lineNumber: number): LineRecord {
  const headers = field(c, c.parseHeaders, line, 0, c.headersDelimiter, 'headers delimiter', lineNumber)
  const headerOffset = headers === null ? 0 : headers.length + c.headersDelimiter.length
  const key = field(c, c.parseKey, line, headerOffset, c.keySeparator, 'key separator', lineNumber)
  const keyOffset = key === null ? 0 : key.length + c.keySeparator.length
  const value = line.slice(headerOffset + keyOffset)
  return {
    key: key !== null && key !== c.nullMarker ? key : null,
    value: value !== c.nullMarker ? value : null,
    headers: headers !== null && headers !== c.nullMarker ? splitHeaders(c, headers, lineNumber) : [],
  }
}
