/**
 * gRPC plumbing: service definitions built from the SDK's proto descriptors, plain-object
 * requests/responses, typed status errors, and UNIMPLEMENTED (naming the method) for every method
 * we do not serve, so that no call ever hangs.
 */
import {
  Metadata,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type handleUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { ServiceError, unimplemented } from './errors';
import { DECODE_OPTIONS, root } from './proto';

/** What a handler gets besides its request: the caller's deadline and a cancellation hook. */
export interface CallContext {
  /** Milliseconds until the caller's deadline (Infinity when none). */
  remainingMs(): number;
  /** Registers a hook run if the caller goes away before the response. */
  onCancel(hook: () => void): void;
}

// Request shapes differ per method; each handler casts to its own Plain<...> request type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests are decoded generically from descriptors
export type Handler = (request: any, context: CallContext) => Promise<object> | object;

export interface ServiceHooks {
  /** Awaited before every successful response (the journal makes changes durable here). */
  beforeRespond?: () => Promise<void>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function buildService(
  serviceName: string,
  handlers: Record<string, Handler>,
  hooks: ServiceHooks = {},
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  const service = root.lookupService(serviceName);
  const definition: Record<string, ServiceDefinition[string]> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const method of Object.values(service.methods)) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: object) => Buffer.from(requestType.encode(value).finish()),
      requestDeserialize: (bytes: Buffer) => requestType.toObject(requestType.decode(bytes), DECODE_OPTIONS),
      responseSerialize: (value: object) => Buffer.from(responseType.encode(value).finish()),
      responseDeserialize: (bytes: Buffer) => responseType.toObject(responseType.decode(bytes), DECODE_OPTIONS),
      originalName: method.name,
    };
    const handler: Handler =
      handlers[method.name] ??
      (() => {
        throw unimplemented(`${serviceName}/${method.name} is not implemented by this devserver`);
      });
    const unary: handleUnaryCall<object, object> = (call, callback) => {
      void invoke(method.name, handler, call, callback, hooks);
    };
    implementation[method.name] = unary;
  }
  return { definition: definition as ServiceDefinition, implementation };
}

async function invoke(
  methodName: string,
  handler: Handler,
  call: ServerUnaryCall<object, object>,
  callback: sendUnaryData<object>,
  hooks: ServiceHooks,
): Promise<void> {
  const cancelHooks: (() => void)[] = [];
  call.on('cancelled', () => {
    for (const hook of cancelHooks) hook();
  });
  const context: CallContext = {
    remainingMs() {
      const deadline = call.getDeadline();
      const at = deadline instanceof Date ? deadline.getTime() : deadline;
      return Number.isFinite(at) ? at - Date.now() : Infinity;
    },
    onCancel(hook) {
      if (call.cancelled) hook();
      else cancelHooks.push(hook);
    },
  };
  try {
    const response = await handler(call.request, context);
    await hooks.beforeRespond?.();
    callback(null, response);
  } catch (err) {
    if (err instanceof ServiceError) {
      callback({ code: err.code, details: err.message, metadata: statusMetadata(err, methodName, hooks) });
      return;
    }
    hooks.log?.(`${methodName} failed`, { error: err instanceof Error ? err.stack : String(err) });
    callback({ code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) });
  }
}

function statusMetadata(err: ServiceError, methodName: string, hooks: ServiceHooks): Metadata {
  const metadata = new Metadata();
  try {
    const details = err.statusDetailsBin();
    if (details) metadata.set('grpc-status-details-bin', details);
  } catch (encodeError) {
    hooks.log?.(`${methodName}: could not encode error details`, { error: String(encodeError) });
  }
  return metadata;
}
