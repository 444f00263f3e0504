// The part of an object that one field manager owns, read from its managedFields entry
// (FieldsV1: `f:<field>` for a field, `k:<json>` for a list item by its keys, `v:<json>` for a
// set member, `i:<n>` for a list index, `.` for the field itself). Under server-side apply this
// is exactly what Metacontroller applied last: server defaults (a Service's clusterIP) and
// labels someone added with kubectl belong to other managers and are left out.
type Json = unknown;
type Fields = Record<string, unknown>;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A FieldsV1 node with no member below it: the whole value is owned. */
function isLeaf(fields: Fields): boolean {
  return Object.keys(fields).every((key) => key === '.');
}

function itemMatchesKeys(item: Json, keys: Record<string, Json>): boolean {
  return (
    isObject(item) &&
    Object.entries(keys).every(
      ([key, value]) => JSON.stringify(item[key]) === JSON.stringify(value),
    )
  );
}

function parseJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function pickList(list: Json[], fields: Fields): Json[] {
  const out: Json[] = [];
  list.forEach((item, index) => {
    for (const [key, sub] of Object.entries(fields)) {
      const below = (isObject(sub) ? sub : {}) as Fields;
      if (key.startsWith('k:')) {
        const keys = parseJson(key.slice(2));
        if (isObject(keys) && itemMatchesKeys(item, keys)) {
          out.push(pickFields(item, below));
          return;
        }
      } else if (key.startsWith('v:')) {
        if (JSON.stringify(parseJson(key.slice(2))) === JSON.stringify(item)) {
          out.push(item);
          return;
        }
      } else if (key === `i:${index}`) {
        out.push(pickFields(item, below));
        return;
      }
    }
  });
  return out;
}

/** `value` reduced to what `fields` (a FieldsV1 tree) names. */
export function pickFields(value: Json, fields: Fields): Json {
  if (isLeaf(fields)) {
    // `.` alone on a map or list owns its existence, not its members.
    if ('.' in fields && isObject(value)) return {};
    if ('.' in fields && Array.isArray(value)) return [];
    return value;
  }
  if (Array.isArray(value)) return pickList(value, fields);
  if (!isObject(value)) return value;
  const out: Record<string, Json> = {};
  for (const [key, sub] of Object.entries(fields)) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    if (!(name in value)) continue;
    out[name] = pickFields(value[name], (isObject(sub) ? sub : {}) as Fields);
  }
  return out;
}
