/** OperatorService: custom search attributes, and the namespace deletion operators use. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound } from '../errors';
import type { Handler } from '../grpc';
import { INDEXED_VALUE_TYPES, typeFromIndexedValueType } from '../namespaces';
import type { Plain } from '../proto';
import type { Store } from '../store';
import { SYSTEM_SEARCH_ATTRIBUTES } from '../visibility/attributes';

type Req<T> = Plain<T>;

/** Names the server keeps for itself (system and predefined attributes, the Temporal prefix). */
function isReserved(name: string): boolean {
  return (
    name in SYSTEM_SEARCH_ATTRIBUTES ||
    name.startsWith('Temporal') ||
    ['NamespaceId', 'Memo', 'MemoEncoding'].includes(name)
  );
}

export function operatorHandlers(store: Store, defaultNamespace: string): Record<string, Handler> {
  const namespaceFor = (name: string | undefined) => store.namespaces.get(name || defaultNamespace);
  return {
    AddSearchAttributes: (request: Req<temporal.api.operatorservice.v1.IAddSearchAttributesRequest>) => {
      const attributes = Object.entries(request.searchAttributes ?? {});
      if (attributes.length === 0) throw invalidArgument('SearchAttributes are not set on request.');
      const namespace = namespaceFor(request.namespace);
      const toAdd: [string, NonNullable<ReturnType<typeof typeFromIndexedValueType>>][] = [];
      for (const [name, value] of attributes) {
        if (isReserved(name)) throw invalidArgument(`Search attribute ${name} is reserved by system.`);
        const type = typeFromIndexedValueType(value);
        if (!type) throw invalidArgument(`Unknown search attribute type: ${value}.`);
        toAdd.push([name, type]);
      }
      // Adding an attribute that exists is a no-op, as on the real server's SQL visibility.
      for (const [name, type] of toAdd) {
        if (!namespace.customSearchAttributes.has(name)) namespace.customSearchAttributes.set(name, type);
      }
      store.namespaceChanged(namespace.name);
      return {};
    },

    RemoveSearchAttributes: (request: Req<temporal.api.operatorservice.v1.IRemoveSearchAttributesRequest>) => {
      const names = request.searchAttributes ?? [];
      if (names.length === 0) throw invalidArgument('SearchAttributes are not set on request.');
      const namespace = namespaceFor(request.namespace);
      for (const name of names) {
        if (isReserved(name)) throw invalidArgument(`Unable to remove non-custom search attributes: ${name}.`);
        if (!namespace.customSearchAttributes.has(name)) throw notFound(`Search attribute ${name} doesn't exist.`);
      }
      for (const name of names) namespace.customSearchAttributes.delete(name);
      store.namespaceChanged(namespace.name);
      return {};
    },

    ListSearchAttributes: (request: Req<temporal.api.operatorservice.v1.IListSearchAttributesRequest>) => {
      const namespace = namespaceFor(request.namespace);
      const customAttributes: Record<string, number> = {};
      for (const [name, type] of namespace.customSearchAttributes) customAttributes[name] = INDEXED_VALUE_TYPES[type];
      const systemAttributes: Record<string, number> = {};
      for (const [name, type] of Object.entries(SYSTEM_SEARCH_ATTRIBUTES))
        systemAttributes[name] = INDEXED_VALUE_TYPES[type];
      return { customAttributes, systemAttributes, storageSchema: {} };
    },
  };
}
