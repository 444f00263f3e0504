// One ajv instance holding every schema in schemas/, so each validator is compiled exactly once
// and $refs between schema files resolve by $id.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../package-root.js';
import { stringLengthKeywords, withFastStringLengths } from './string-length.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const SCHEMA_BASE = 'https://pylambda.dev/schemas/';

/** Keywords the CRD understands and ajv need not: kept in the schemas, ignored by ajv. */
const KUBERNETES_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
];

export function schemasDirectory(): string {
  return join(packageRoot(), 'schemas');
}

export function loadSchemas(dir = schemasDirectory()): AnySchemaObject[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.schema.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as AnySchemaObject);
}

export interface SchemaRegistryOptions {
  /** Fill in `default` values while validating (used for the PythonLambda spec). */
  useDefaults?: boolean;
  /**
   * Report every error (the default) or stop at the first. Every error is what a person fixing
   * a spec wants; a request envelope is Metacontroller's, and reporting all of a hostile one's
   * errors costs several error objects per value it holds (150,000 for 50,000 bad children).
   */
  allErrors?: boolean;
}

export function createSchemaRegistry(options: SchemaRegistryOptions = {}): Ajv {
  const ajv = new Ajv({
    allErrors: options.allErrors ?? true,
    strict: true,
    // Kubernetes' int-or-string quantities put `pattern` beside an integer/string anyOf, which
    // a structural CRD schema requires and ajv's strictTypes would refuse.
    strictTypes: false,
    allowUnionTypes: true,
    useDefaults: options.useDefaults ?? false,
  });
  addFormats(ajv);
  ajv.addVocabulary(KUBERNETES_KEYWORDS);
  for (const keyword of stringLengthKeywords) ajv.addKeyword(keyword);
  for (const schema of loadSchemas()) ajv.addSchema(withFastStringLengths(schema));
  return ajv;
}

export function compiledValidator<T>(ajv: Ajv, schemaFile: string): ValidateFunction<T> {
  const validate = ajv.getSchema<T>(SCHEMA_BASE + schemaFile);
  if (!validate) throw new Error(`schema ${schemaFile} is not in schemas/`);
  return validate;
}
