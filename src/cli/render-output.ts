// How `render` prints: YAML documents ready for `kubectl apply -f -`, or a JSON v1 List. The
// annotations the decorator would write on a Deployment are not objects of their own, so YAML
// carries them as a comment and JSON mode reports them on stderr.
import { Document } from 'yaml';
import { lambdaLabel } from './lambdas.js';
import type { RenderedLambda } from './render-lambda.js';

export type OutputFormat = 'yaml' | 'json';
export const OUTPUT_FORMATS: OutputFormat[] = ['yaml', 'json'];

export interface RenderOutput {
  stdout: string;
  /** Notes for a person; empty when there are none. */
  stderr: string;
}

/** Comment lines (without `#`) saying what the decorator writes on the Deployment. */
export function annotationNote(rendered: RenderedLambda): string[] {
  if (rendered.kind !== 'Deployment') return [];
  const lines = [` the operator writes these annotations on ${lambdaLabel(rendered.source)}:`];
  for (const [key, value] of Object.entries(rendered.annotations)) {
    lines.push(`   ${key}: ${value === null ? '(removed)' : value}`);
  }
  return lines;
}

function header(rendered: RenderedLambda): string[] {
  const what = rendered.kind === 'PythonLambda' ? 'children' : 'attachments';
  return [` ${what} of ${lambdaLabel(rendered.source)}`, ...annotationNote(rendered)];
}

export function formatYaml(rendered: RenderedLambda[]): string {
  const documents: string[] = [];
  for (const lambda of rendered) {
    lambda.objects.forEach((object, index) => {
      const document = new Document(object);
      if (index === 0) document.commentBefore = header(lambda).join('\n');
      documents.push(document.toString({ lineWidth: 0 }));
    });
  }
  return documents.join('---\n');
}

export function formatJson(rendered: RenderedLambda[]): RenderOutput {
  const list = { apiVersion: 'v1', kind: 'List', items: rendered.flatMap((l) => l.objects) };
  const notes = rendered.flatMap(annotationNote).map((line) => `#${line}\n`);
  return { stdout: `${JSON.stringify(list, null, 2)}\n`, stderr: notes.join('') };
}

export function formatRendered(rendered: RenderedLambda[], format: OutputFormat): RenderOutput {
  return format === 'json' ? formatJson(rendered) : { stdout: formatYaml(rendered), stderr: '' };
}
