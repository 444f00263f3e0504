// What the pure hooks need from outside: settings, the runtime file's text and digest, compiled
// validators, and the one clock they may read (only for a condition's flip). The service and the CLI build it the same way, here.
import type { ValidateFunction } from 'ajv';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import { defaultMaxCodeBytes, type ApplyStrategy } from '../lambda/code-size.js';
import { sha256Hex } from '../render/hash.js';
import { compiledValidator, createSchemaRegistry } from '../validation/schema-registry.js';

export interface HookContext {
  runtimeSource: string;
  /** sha256 of runtimeSource: part of every code hash, so a new runtime rolls every lambda. */
  runtimeDigest: string;
  clusterDomain: string;
  /** Metacontroller's --apply-strategy when configured; otherwise read from each request. */
  applyStrategy: ApplyStrategy | undefined;
  /** The code size limit under `strategy`: the configured one, or that strategy's default. */
  maxCodeBytesFor: (strategy: ApplyStrategy) => number;
  validateSpec: ValidateFunction<PythonLambdaSpec>;
  now: () => Date;
}

export interface HookSettings {
  runtimeSource: string;
  clusterDomain: string;
  /** Metacontroller's --apply-strategy, as an override of what requests show. */
  applyStrategy?: ApplyStrategy;
  maxCodeBytes?: number;
  now: () => Date;
}

export function createHookContext(settings: HookSettings): HookContext {
  const specs = createSchemaRegistry({ useDefaults: true });
  const { maxCodeBytes, ...rest } = settings;
  return {
    ...rest,
    applyStrategy: settings.applyStrategy,
    maxCodeBytesFor: (strategy) => maxCodeBytes ?? defaultMaxCodeBytes(strategy),
    runtimeDigest: sha256Hex(settings.runtimeSource),
    validateSpec: compiledValidator<PythonLambdaSpec>(specs, 'pythonlambda-spec.schema.json'),
  };
}
