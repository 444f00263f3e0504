// Just enough of the Dockerfile and .dockerignore formats to check the image against the project:
// instructions with their continuation lines joined, stages, and Docker's ignore-pattern rules.

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  /** The base image with ARG defaults substituted. */
  base: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const whole = pending + line;
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(whole)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: start });
  });

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const substitute = (s: string) =>
    s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? '');
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = instruction.args.split('=', 2);
      args[name!.trim()] = (value ?? '').trim().replace(/^"(.*)"$/, '$1');
    } else if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        name: as >= 0 ? words[as + 1] : undefined,
        base: substitute(words[0]!),
        instructions: [],
      });
    } else if (stages.length) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      const words = i.args.startsWith('[')
        ? (JSON.parse(i.args) as string[])
        : i.args.split(/\s+/).filter(Boolean);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1]! };
    });
}

/** The exec-form words of the last ENTRYPOINT and CMD of a stage. */
export function command(stage: Stage): { entrypoint: string[]; cmd: string[] } {
  const last = (keyword: string): string[] => {
    const found = stage.instructions.filter((i) => i.keyword === keyword).pop();
    if (!found) return [];
    if (!found.args.startsWith('[')) throw new Error(`${keyword} must use the exec form`);
    return JSON.parse(found.args) as string[];
  };
  return { entrypoint: last('ENTRYPOINT'), cmd: last('CMD') };
}

/** The directory a stage's instructions run in at a given instruction (WORKDIRs so far). */
export function workdirAt(stage: Stage, instruction: Instruction): string {
  let dir = '/';
  for (const i of stage.instructions) {
    if (i === instruction) break;
    if (i.keyword === 'WORKDIR') dir = i.args.startsWith('/') ? i.args : `${dir}/${i.args}`;
  }
  return dir.replace(/\/+$/, '') || '/';
}

// ---- .dockerignore (moby/patternmatcher): the last pattern matching a path or one of its parent
// folders decides; `!` re-includes; `*` and `?` stay within one path segment, `**` spans any.

function patternRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        out += '(?:.*/)?';
        i++;
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, regexp: patternRegExp(pattern) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regexp.test(p))) excluded = !rule.negated;
    }
    return excluded;
  };
}
