// JSON held inside a request's strings: a child's last-applied annotation, the keys of its
// managedFields. The body's value bound (json-size.ts) counts such a string as one value, yet
// parsed it may be a million, so each of these parses is counted too, against one budget per
// hook call: together they materialize no more values than the body itself may hold.
import { countJsonValues } from './json-size.js';

/** What is left of one hook call's allowance of parsed values (PYLAMBDA_MAX_JSON_VALUES). */
export interface ParseBudget {
  valuesLeft: number;
}

export function parseBudget(maxValues: number): ParseBudget {
  return { valuesLeft: maxValues };
}

/** Parsing `text` would take more values than its call has left; nothing was parsed. */
export class ParseBudgetExceeded extends Error {}

/**
 * `text` parsed, or undefined when it is not JSON. Counted on its bytes first, like the body:
 * past the budget it throws ParseBudgetExceeded without parsing.
 */
export function parseCounted(text: string, budget: ParseBudget): unknown {
  const values = countJsonValues(Buffer.from(text, 'utf8'), budget.valuesLeft);
  if (values > budget.valuesLeft) {
    throw new ParseBudgetExceeded(
      'JSON inside the request holds more values than PYLAMBDA_MAX_JSON_VALUES allows',
    );
  }
  budget.valuesLeft -= values;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
