/** Namespaces and their registered custom search attributes. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, namespaceAlreadyExists, namespaceNotFound } from './errors';
import { type Plain, durationFromMs } from './proto';
import type { SearchAttributeType } from './visibility/types';

export type { SearchAttributeType };

/** Proto IndexedValueType numbers by type name. */
export const INDEXED_VALUE_TYPES: Record<SearchAttributeType, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

export function typeFromIndexedValueType(value: number): SearchAttributeType | undefined {
  return (Object.keys(INDEXED_VALUE_TYPES) as SearchAttributeType[]).find(
    (name) => INDEXED_VALUE_TYPES[name] === value,
  );
}

/** The CLI dev server's pre-registered custom attributes, so samples that use them work here too. */
const DEFAULT_CUSTOM_ATTRIBUTES: Record<string, SearchAttributeType> = {
  CustomKeywordField: 'Keyword',
  CustomStringField: 'Text',
  CustomTextField: 'Text',
  CustomIntField: 'Int',
  CustomDatetimeField: 'Datetime',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
};

export interface NamespaceRecord {
  name: string;
  id: string;
  description: string;
  ownerEmail: string;
  retentionMs: number;
  data: Record<string, string>;
  createdTime: number;
  customSearchAttributes: Map<string, SearchAttributeType>;
}

const DEFAULT_RETENTION_MS = 24 * 3600 * 1000;

export class Namespaces {
  private readonly byName = new Map<string, NamespaceRecord>();

  /**
   * @param autoRegister register unknown namespaces on first use, as Temporal's test server (which
   *   has no namespace registry) accepts any namespace.
   */
  constructor(
    private readonly now: () => number,
    private readonly autoRegister = false,
  ) {}

  register(
    name: string,
    options: {
      description?: string;
      ownerEmail?: string;
      retentionMs?: number;
      data?: Record<string, string>;
      id?: string;
    } = {},
  ): NamespaceRecord {
    if (!name) throw invalidArgument('Namespace not set on request.');
    if (this.byName.has(name)) throw namespaceAlreadyExists(name);
    const record: NamespaceRecord = {
      name,
      id: options.id ?? crypto.randomUUID(),
      description: options.description ?? '',
      ownerEmail: options.ownerEmail ?? '',
      retentionMs: options.retentionMs || DEFAULT_RETENTION_MS,
      data: options.data ?? {},
      createdTime: this.now(),
      customSearchAttributes: new Map(Object.entries(DEFAULT_CUSTOM_ATTRIBUTES)),
    };
    this.byName.set(name, record);
    return record;
  }

  /** Puts back a namespace read from the journal (replacing one registered at start-up). */
  restore(record: NamespaceRecord): void {
    this.byName.set(record.name, record);
  }

  ensure(name: string): NamespaceRecord {
    return this.byName.get(name) ?? this.register(name);
  }

  get(name: string | undefined): NamespaceRecord {
    if (name && this.autoRegister) return this.ensure(name);
    const record = name ? this.byName.get(name) : undefined;
    if (!record) throw namespaceNotFound(name ?? '');
    return record;
  }

  byId(id: string): NamespaceRecord | undefined {
    for (const record of this.byName.values()) if (record.id === id) return record;
    return undefined;
  }

  list(): NamespaceRecord[] {
    return [...this.byName.values()];
  }

  describe(record: NamespaceRecord): Plain<temporal.api.workflowservice.v1.IDescribeNamespaceResponse> {
    return {
      namespaceInfo: {
        name: record.name,
        state: 1, // NAMESPACE_STATE_REGISTERED
        description: record.description,
        ownerEmail: record.ownerEmail,
        data: record.data,
        id: record.id,
        capabilities: { eagerWorkflowStart: false, syncUpdate: true, asyncUpdate: true },
        supportsSchedules: true,
      },
      config: {
        workflowExecutionRetentionTtl: durationFromMs(record.retentionMs),
        historyArchivalState: 2, // ARCHIVAL_STATE_DISABLED
        visibilityArchivalState: 2,
        customSearchAttributeAliases: {},
      },
      replicationConfig: { activeClusterName: 'active', clusters: [{ clusterName: 'active' }], state: 1 },
      failoverVersion: 0,
      isGlobalNamespace: false,
    };
  }
}
