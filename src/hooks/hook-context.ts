// What the pure hooks need from outside: settings, the runtime release new pods get, compiled
// validators, and the one clock they may read (only for a condition's flip). The service and
// the CLI build it the same way, here.
import type { ValidateFunction } from 'ajv';
import { DEFAULT_MAX_JSON_VALUES, type ServiceConfig } from '../config.js';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import { defaultMaxCodeBytes, type ApplyStrategy } from '../lambda/code-size.js';
import type { RuntimeRelease } from '../render/runtime-release.js';
import { compiledValidator, createSchemaRegistry } from '../validation/schema-registry.js';

export interface HookContext {
  /** The runtime this webhook renders for a lambda that does not run one already. */
  runtime: RuntimeRelease;
  clusterDomain: string;
  /** Metacontroller's --apply-strategy when configured; otherwise read from each request. */
  applyStrategy: ApplyStrategy | undefined;
  /** The code size limit under `strategy`: the configured one, or that strategy's default. */
  maxCodeBytesFor: (strategy: ApplyStrategy) => number;
  validateSpec: ValidateFunction<PythonLambdaSpec>;
  /**
   * PYLAMBDA_MAX_JSON_VALUES: also how many values one call may parse out of the JSON that
   * observed objects carry in strings (last-applied annotations, managedFields keys).
   */
  maxParsedValues: number;
  now: () => Date;
  /**
   * Told the moment at which this call's answer would change by the clock alone (a pod's grace
   * running out): the service then does not answer the same request again from its response
   * cache. A hook is pure but for `now`; this is how it says that it read the clock so.
   */
  answerChangesAt?: (atMs: number) => void;
}

export interface HookSettings {
  runtime: RuntimeRelease;
  clusterDomain: string;
  /** Metacontroller's --apply-strategy, as an override of what requests show. */
  applyStrategy?: ApplyStrategy;
  maxCodeBytes?: number;
  /** PYLAMBDA_MAX_JSON_VALUES; its default when unset. */
  maxJsonValues?: number;
  now: () => Date;
}

export function createHookContext(settings: HookSettings): HookContext {
  const specs = createSchemaRegistry({ useDefaults: true });
  const { maxCodeBytes, maxJsonValues, ...rest } = settings;
  return {
    ...rest,
    maxParsedValues: maxJsonValues ?? DEFAULT_MAX_JSON_VALUES,
    applyStrategy: settings.applyStrategy,
    maxCodeBytesFor: (strategy) => maxCodeBytes ?? defaultMaxCodeBytes(strategy),
    validateSpec: compiledValidator<PythonLambdaSpec>(specs, 'pythonlambda-spec.schema.json'),
  };
}

/** The context of a service configured so: the webhook's, the CLI's and the benchmarks'. */
export function hookContextFromConfig(config: ServiceConfig, now: () => Date): HookContext {
  return createHookContext({
    runtime: config.runtime,
    clusterDomain: config.clusterDomain,
    applyStrategy: config.applyStrategy,
    maxCodeBytes: config.maxCodeBytes,
    maxJsonValues: config.maxJsonValues,
    now,
  });
}
