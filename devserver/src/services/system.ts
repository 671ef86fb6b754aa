/** Server identity, capabilities and namespaces. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, namespaceNotFound } from '../errors';
import type { Handler } from '../grpc';
import type { Plain } from '../proto';
import { msFromDuration } from '../proto';
import type { Store } from '../store';
import { INDEXED_VALUE_TYPES } from '../namespaces';
import { SYSTEM_SEARCH_ATTRIBUTES } from '../visibility/attributes';

type Req<T> = Plain<T>;

/** The version of the Temporal server whose behaviour this devserver follows. */
export const SERVER_VERSION = '1.29.1';

export function systemHandlers(store: Store, persistence: 'memory' | 'journal'): Record<string, Handler> {
  const namespaces = store.namespaces;
  return {
    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: true,
        encodedFailureAttributes: true,
        buildIdBasedVersioning: false,
        upsertMemo: true,
        eagerWorkflowStart: false,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),

    GetClusterInfo: () => ({
      supportedClients: {
        'temporal-cli': '< 2.0.0',
        'temporal-go': '< 2.0.0',
        'temporal-java': '< 2.0.0',
        'temporal-typescript': '< 2.0.0',
        'temporal-server': '< 2.0.0',
        'temporal-ui': '< 3.0.0',
      },
      serverVersion: SERVER_VERSION,
      clusterId: store.clusterId,
      versionInfo: { current: { version: SERVER_VERSION } },
      clusterName: 'active',
      historyShardCount: 1,
      persistenceStore: persistence === 'journal' ? 'journal' : 'memory',
      visibilityStore: persistence === 'journal' ? 'journal' : 'memory',
      initialFailoverVersion: 1,
      failoverVersionIncrement: 10,
    }),

    RegisterNamespace: (request: Req<temporal.api.workflowservice.v1.IRegisterNamespaceRequest>) => {
      const record = namespaces.register(request.namespace ?? '', {
        description: request.description,
        ownerEmail: request.ownerEmail,
        retentionMs: msFromDuration(request.workflowExecutionRetentionPeriod),
        data: request.data,
      });
      store.namespaceChanged(record.name);
      return {};
    },

    DescribeNamespace: (request: Req<temporal.api.workflowservice.v1.IDescribeNamespaceRequest>) => {
      if (request.id) {
        const record = namespaces.byId(request.id);
        if (!record) throw namespaceNotFound(request.id);
        return namespaces.describe(record);
      }
      if (!request.namespace) throw invalidArgument('Namespace not set on request.');
      return namespaces.describe(namespaces.get(request.namespace));
    },

    UpdateNamespace: (request: Req<temporal.api.workflowservice.v1.IUpdateNamespaceRequest>) => {
      const record = namespaces.get(request.namespace);
      const info = request.updateInfo;
      if (info?.description !== undefined) record.description = info.description;
      if (info?.ownerEmail !== undefined) record.ownerEmail = info.ownerEmail;
      if (info?.data) Object.assign(record.data, info.data);
      const retention = msFromDuration(request.config?.workflowExecutionRetentionTtl);
      if (retention) record.retentionMs = retention;
      store.namespaceChanged(record.name);
      return namespaces.describe(record);
    },

    ListNamespaces: (request: Req<temporal.api.workflowservice.v1.IListNamespacesRequest>) => {
      const all = namespaces.list();
      const pageSize = request.pageSize && request.pageSize > 0 ? request.pageSize : 100;
      const offset = request.nextPageToken?.length ? Number(Buffer.from(request.nextPageToken).toString()) : 0;
      const page = all.slice(offset, offset + pageSize);
      const next = offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)) : undefined;
      return { namespaces: page.map((record) => namespaces.describe(record)), nextPageToken: next };
    },

    GetSearchAttributes: () => {
      const keys: Record<string, number> = {};
      for (const [name, type] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES)) keys[name] = INDEXED_VALUE_TYPES[type];
      for (const record of namespaces.list()) {
        for (const [name, type] of record.customSearchAttributes) keys[name] = INDEXED_VALUE_TYPES[type];
      }
      return { keys };
    },
  };
}
