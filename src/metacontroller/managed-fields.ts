// The part of an object that one field manager owns, read from its managedFields entry
// (FieldsV1: `f:<field>` for a field, `k:<json>` for a list item by its keys, `v:<json>` for a
// set member, `i:<n>` for a list index, `.` for the field itself). Under server-side apply this
// is exactly what Metacontroller applied last: server defaults (a Service's clusterIP) and
// labels someone added with kubectl belong to other managers and are left out.
import { canonicalJson } from '../render/hash.js';
import { parseCounted, type ParseBudget } from '../validation/counted-parse.js';

type Json = unknown;
type Fields = Record<string, unknown>;

/**
 * A list's items are keyed by the same few fields (x-kubernetes-list-map-keys: a Service's
 * ports by port and protocol), so a list node names one set of key fields, rarely two. Every
 * item is looked up once per set, so many sets, or sets of many fields, would make the work
 * items x keys again: past this many key fields in all, the entry is not used.
 */
export const MAX_LIST_KEY_FIELDS = 16;

/** An entry that cannot be honoured within the bounds; the caller falls back without it. */
export class UnusableManagedFields extends Error {}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A FieldsV1 node with no member below it: the whole value is owned. */
function isLeaf(fields: Fields): boolean {
  return Object.keys(fields).every((key) => key === '.');
}

/** What a list node says of the items it selects; `position` keeps the node's order. */
interface Choice {
  position: number;
  below: Fields;
  /** A set member (`v:`) is owned whole; a keyed or indexed item only as far as `below`. */
  whole: boolean;
}

interface KeyFields {
  names: string[];
  /** The canonical JSON of the key fields' values, in `names` order -> the item's choice. */
  byValues: Map<string, Choice>;
}

/** Every `k:`, `v:` and `i:` member of a list node, each key parsed once, ready to look up. */
interface ListSelectors {
  keyed: Map<string, KeyFields>;
  members: Map<string, Choice>;
  indexes: Map<string, Choice>;
}

function valuesOf(record: Record<string, Json>, names: string[]): string | undefined {
  const values: Json[] = [];
  for (const name of names) {
    if (!Object.hasOwn(record, name) || record[name] === undefined) return undefined;
    values.push(record[name]);
  }
  return canonicalJson(values);
}

function listSelectors(fields: Fields, budget: ParseBudget): ListSelectors {
  const selectors: ListSelectors = { keyed: new Map(), members: new Map(), indexes: new Map() };
  let keyFields = 0;
  Object.entries(fields).forEach(([key, sub], position) => {
    const below = (isObject(sub) ? sub : {}) as Fields;
    const choice: Choice = { position, below, whole: false };
    // The first member to select an item wins, as the node lists them.
    const add = (map: Map<string, Choice>, id: string) => {
      if (!map.has(id)) map.set(id, choice);
    };
    if (key.startsWith('k:')) {
      const keys = parseCounted(key.slice(2), budget);
      if (!isObject(keys)) return;
      const names = Object.keys(keys).sort();
      const shape = JSON.stringify(names);
      let set = selectors.keyed.get(shape);
      if (!set) {
        keyFields += names.length;
        if (keyFields > MAX_LIST_KEY_FIELDS) {
          throw new UnusableManagedFields(
            `a list keyed by more than ${MAX_LIST_KEY_FIELDS} fields`,
          );
        }
        set = { names, byValues: new Map() };
        selectors.keyed.set(shape, set);
      }
      add(set.byValues, valuesOf(keys, names)!);
    } else if (key.startsWith('v:')) {
      const member = parseCounted(key.slice(2), budget);
      if (member !== undefined) add(selectors.members, canonicalJson(member));
      choice.whole = true;
    } else if (key.startsWith('i:')) {
      add(selectors.indexes, key);
    }
  });
  return selectors;
}

function choiceFor(item: Json, index: number, selectors: ListSelectors): Choice | undefined {
  const candidates: (Choice | undefined)[] = [selectors.indexes.get(`i:${index}`)];
  if (isObject(item)) {
    for (const { names, byValues } of selectors.keyed.values()) {
      const values = valuesOf(item, names);
      if (values !== undefined) candidates.push(byValues.get(values));
    }
  }
  if (selectors.members.size > 0) candidates.push(selectors.members.get(canonicalJson(item)));
  let first: Choice | undefined;
  for (const candidate of candidates) {
    if (candidate && (!first || candidate.position < first.position)) first = candidate;
  }
  return first;
}

/** Linear in the node's members plus the list's items: each key parsed once, items looked up. */
function pickList(list: Json[], fields: Fields, budget: ParseBudget): Json[] {
  const selectors = listSelectors(fields, budget);
  const out: Json[] = [];
  list.forEach((item, index) => {
    const choice = choiceFor(item, index, selectors);
    if (!choice) return;
    out.push(choice.whole ? item : pickFields(item, choice.below, budget));
  });
  return out;
}

/**
 * `value` reduced to what `fields` (a FieldsV1 tree) names. The keys it parses count against
 * `budget` (ParseBudgetExceeded past it); UnusableManagedFields when a list node is keyed by
 * more than MAX_LIST_KEY_FIELDS fields.
 */
export function pickFields(value: Json, fields: Fields, budget: ParseBudget): Json {
  if (isLeaf(fields)) {
    // `.` alone on a map or list owns its existence, not its members.
    if ('.' in fields && isObject(value)) return {};
    if ('.' in fields && Array.isArray(value)) return [];
    return value;
  }
  if (Array.isArray(value)) return pickList(value, fields, budget);
  if (!isObject(value)) return value;
  const out: Record<string, Json> = {};
  for (const [key, sub] of Object.entries(fields)) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    if (!Object.hasOwn(value, name)) continue;
    out[name] = pickFields(value[name], (isObject(sub) ? sub : {}) as Fields, budget);
  }
  return out;
}
