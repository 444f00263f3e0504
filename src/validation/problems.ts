// Turns ajv errors into problems a person can act on: which field, and why.
import type { ErrorObject } from 'ajv';

export interface Problem {
  /** Dotted path from the validated root, e.g. `spec.env[2].name`. */
  path: string;
  message: string;
}

/** `/spec/env/2/name` -> `spec.env[2].name`, prefixed with `root` when given. */
export function pointerToPath(pointer: string, root = ''): string {
  let path = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) path += path ? `.${segment}` : segment;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path || '(root)';
}

/** A property name as one JSON Pointer token (RFC 6901), so `a/b` stays one field. */
export function pointerToken(name: unknown): string {
  return String(name).replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(error: ErrorObject): { pointer: string; message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        pointer: `${error.instancePath}/${pointerToken(params.missingProperty)}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        pointer: `${error.instancePath}/${pointerToken(params.additionalProperty)}`,
        message: 'is not a known field',
      };
    case 'enum':
      return {
        pointer: error.instancePath,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { pointer: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * A resource quantity fails as "must be integer", "must be string" and a regular expression at
 * once (it is int-or-string with a pattern); one sentence says what is wanted instead.
 */
const QUANTITY_SCHEMA = '#/definitions/quantity/';
const QUANTITY_MESSAGE =
  'must be a quantity, not negative: a whole number, or a string such as "500m", "0.5", "64Mi" or "1Gi" (quote a fraction: \'0.5\')';

export function problemsFromAjv(errors: ErrorObject[] | null | undefined, root = ''): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors ?? []) {
    // anyOf branches repeat their children's errors; the children say it better.
    const quantity = (error.schemaPath ?? '').startsWith(QUANTITY_SCHEMA);
    if (error.keyword === 'anyOf' && !quantity) continue;
    const { pointer, message } = quantity
      ? { pointer: error.instancePath, message: QUANTITY_MESSAGE }
      : describe(error);
    const problem = { path: pointerToPath(pointer, root), message };
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** How many problems an annotation names; the rest are counted. */
export const MAX_ANNOTATION_PROBLEMS = 10;

/**
 * formatProblems for a Deployment's annotation: the first few problems, then how many more. The
 * API server refuses a Deployment whose annotations take more than 256 KiB in all, and a pod
 * template can hold thousands of variables to complain about: an error listing each of them
 * would never be written, and Metacontroller would retry the refused update forever instead.
 */
export function formatSomeProblems(problems: Problem[], max = MAX_ANNOTATION_PROBLEMS): string {
  const shown = formatProblems(problems.slice(0, max));
  const rest = problems.length - max;
  return rest > 0 ? `${shown}; and ${rest} more problem${rest === 1 ? '' : 's'}` : shown;
}
