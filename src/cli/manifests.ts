// The documents of a manifest file: multi-document YAML (JSON is YAML too), each with the line
// it starts on so that messages can point at it.
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import { CliError } from './exit-codes.js';

export interface Manifest {
  /** The parsed document; only mappings are kept. */
  object: Record<string, unknown>;
  /** 1-based line of the document's first content. */
  line: number;
}

export interface ManifestFile {
  /** As the user named it (`-` for stdin). */
  path: string;
  manifests: Manifest[];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure: YAML text -> its mapping documents; empty and scalar documents are dropped. */
export function parseManifests(text: string, path: string): ManifestFile {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const documents = Array.isArray(parsed) ? parsed : [];
  const manifests: Manifest[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const at = error.linePos?.[0];
      const where = at ? `${path}:${at.line}:${at.col}` : path;
      throw new CliError(`${where}: invalid YAML: ${error.message.trimEnd()}`);
    }
    let object: unknown;
    try {
      object = document.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new CliError(`${path}: invalid YAML: ${(e as Error).message}`);
    }
    if (!isMapping(object)) continue;
    const start = document.contents?.range[0] ?? document.range[0];
    manifests.push({ object, line: lineCounter.linePos(start).line });
  }
  return { path, manifests };
}

function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${path}: no such file`);
    if (code === 'EISDIR') throw new CliError(`${path}: is a directory, not a YAML file`);
    throw new CliError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

export function readManifests(path: string): ManifestFile {
  return parseManifests(readText(path), path);
}
