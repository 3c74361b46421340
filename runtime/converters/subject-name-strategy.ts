import { DataError } from '../plugin/errors.js';

/**
 * Confluent's subject name strategies: under which registry subject a topic's key or
 * value schema is registered. Accepted by class name or short name.
 */
export interface SubjectNameStrategy {
  readonly className: string;
  readonly shortName: string;
  /** `recordName` is the full name of the Avro record, undefined for non-record schemas. */
  subject(topic: string, isKey: boolean, recordName: string | undefined): string;
}

function requireRecordName(strategy: string, recordName: string | undefined): string {
  if (recordName === undefined) {
    throw new DataError(
      `${strategy} needs a named struct schema; use TopicNameStrategy for primitive keys or values`,
    );
  }
  return recordName;
}

export const subjectNameStrategies: readonly SubjectNameStrategy[] = [
  {
    className: 'io.confluent.kafka.serializers.subject.TopicNameStrategy',
    shortName: 'TopicNameStrategy',
    subject: (topic, isKey) => `${topic}-${isKey ? 'key' : 'value'}`,
  },
  {
    className: 'io.confluent.kafka.serializers.subject.RecordNameStrategy',
    shortName: 'RecordNameStrategy',
    subject: (_topic, _isKey, recordName) => requireRecordName('RecordNameStrategy', recordName),
  },
  {
    className: 'io.confluent.kafka.serializers.subject.TopicRecordNameStrategy',
    shortName: 'TopicRecordNameStrategy',
    subject: (topic, _isKey, recordName) =>
      `${topic}-${requireRecordName('TopicRecordNameStrategy', recordName)}`,
  },
];
