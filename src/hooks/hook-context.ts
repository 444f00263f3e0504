// What the pure hooks need from outside: settings, the runtime file's text, compiled
// validators, and the one clock they may read (only for a condition flip with no time in the request).
import type { ValidateFunction } from 'ajv';
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';

export interface HookContext {
  runtimeSource: string;
  clusterDomain: string;
  maxCodeBytes: number;
  validateSpec: ValidateFunction<PythonLambdaSpec>;
  now: () => Date;
}
