// What the pure hooks need from outside: settings, the runtime file's text and digest, compiled
// validators, and the one clock they may read (only for a condition flip with no time in the
// request). The service and the CLI build it the same way, here.
import type { ValidateFunction } from 'ajv';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import type { ApplyStrategy } from '../lambda/code-size.js';
import { sha256Hex } from '../render/hash.js';
import { compiledValidator, createSchemaRegistry } from '../validation/schema-registry.js';

export interface HookContext {
  runtimeSource: string;
  /** sha256 of runtimeSource: part of every code hash, so a new runtime rolls every lambda. */
  runtimeDigest: string;
  clusterDomain: string;
  applyStrategy: ApplyStrategy;
  maxCodeBytes: number;
  validateSpec: ValidateFunction<PythonLambdaSpec>;
  now: () => Date;
}

export interface HookSettings {
  runtimeSource: string;
  clusterDomain: string;
  /** Metacontroller's --apply-strategy (default dynamic-apply, its own default). */
  applyStrategy?: ApplyStrategy;
  maxCodeBytes: number;
  now: () => Date;
}

export function createHookContext(settings: HookSettings): HookContext {
  const specs = createSchemaRegistry({ useDefaults: true });
  return {
    ...settings,
    applyStrategy: settings.applyStrategy ?? 'dynamic-apply',
    runtimeDigest: sha256Hex(settings.runtimeSource),
    validateSpec: compiledValidator<PythonLambdaSpec>(specs, 'pythonlambda-spec.schema.json'),
  };
}
