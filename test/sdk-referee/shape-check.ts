/**
 * The referee's eye: JSON messages are checked against the official SDK's own TypeScript
 * types by the TypeScript compiler itself. Each message becomes an object literal in a
 * virtual file (`const v: SdkType[] = [ ...messages ]`), so everything tsc knows applies:
 * unknown `type` discriminators, wrong field types, missing required fields, and unknown
 * fields (excess property checks). Nothing is written to disk.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ShapeSet {
  /** What the messages are, for the report (e.g. 'fake -> SDK: realtime server events'). */
  label: string;
  /** Module the SDK exports the type from, e.g. 'openai/resources/realtime/realtime'. */
  from: string;
  /** Exported type name, or a type expression over `T` (the import), e.g. 'T.RealtimeServerEvent'. */
  type: string;
  values: readonly unknown[];
  /**
   * Fields the vendor's docs show but the SDK's types do not declare, removed before the
   * check, as dotted paths where `*` matches any key or index (e.g. 'session.id'). Each
   * use should say in a comment which vendor doc lists the field.
   */
  documentedExtras?: string[];
  /** The SDK declares TS enums for string fields (Google's SDKs): accept their string values. */
  enumsAsStrings?: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));
// Inside the repository, so `import type` resolves the installed SDKs from node_modules.
const VIRTUAL = join(HERE, '__sdk_shape_check__.ts');
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  types: ['node'],
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
};

/**
 * For describe blocks that call shapeProblems: the first call parses the SDK's declaration
 * files with the TypeScript compiler, seconds on a loaded 2-core machine. Bounded all the same.
 */
export const TYPE_CHECK_TIMEOUT = { timeout: 60_000 };

const parsed = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

/**
 * Type-checks every set in one compiler run; returns one readable line per problem
 * (empty when every message matches the SDK's types).
 */
export function shapeProblems(sets: ShapeSet[]): string[] {
  const lines: string[] = [];
  const owners: string[] = []; // line number -> description of the message on it
  const push = (line: string, owner = '') => {
    lines.push(line);
    owners.push(owner);
  };
  sets.forEach((set, i) => {
    push(`import type * as M${i} from '${set.from}';`);
  });
  // JSON carries an enum member as its string value; this maps every enum in T to those strings.
  push(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source, not a JS template
    'type Wire<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? Wire<U>[] : ' +
      'T extends (...args: never[]) => unknown ? T : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;',
  );
  sets.forEach((set, i) => {
    const named = set.type.includes('T.') ? set.type.replaceAll('T.', `M${i}.`) : `M${i}.${set.type}`;
    const type = set.enumsAsStrings ? `Wire<${named}>` : named;
    push(`export const v${i}: Array<${type}> = [`);
    unique(set.values.map((v) => sanitize(strip(v, set.documentedExtras ?? [])))).forEach((json) => {
      push(`  ${json},`, `${set.label}: ${json.length > 300 ? `${json.slice(0, 300)}…` : json}`);
    });
    push('];');
  });
  const source = lines.join('\n');
  const host = ts.createCompilerHost(OPTIONS);
  const readSource = host.getSourceFile.bind(host);
  const exists = host.fileExists.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    if (name === VIRTUAL) return ts.createSourceFile(name, source, version, true);
    // The SDKs' declaration files are large: parse each once per test process.
    let file = parsed.get(name);
    if (!file) {
      file = readSource(name, version, ...rest);
      if (file) parsed.set(name, file);
    }
    return file;
  };
  host.fileExists = (name) => name === VIRTUAL || exists(name);
  const program = ts.createProgram([VIRTUAL], OPTIONS, host, previous);
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === VIRTUAL)
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
      return `${owners[line] || lines[line]}\n    ${message}`;
    });
}

/** Long strings (base64 audio) are cut: only their type matters here. */
function sanitize(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    typeof v === 'string' && v.length > 64 ? `${v.slice(0, 60)}...` : v,
  );
}

function unique(jsons: string[]): string[] {
  return [...new Set(jsons)];
}

function strip(value: unknown, paths: string[]): unknown {
  if (paths.length === 0) return value;
  const copy = structuredClone(value);
  for (const path of paths) remove(copy, path.split('.'));
  return copy;
}

function remove(node: unknown, parts: string[]): void {
  if (node === null || typeof node !== 'object' || parts.length === 0) return;
  const [head, ...rest] = parts;
  const record = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : [head];
  for (const key of keys) {
    if (!(key in record)) continue;
    if (rest.length === 0) delete record[key];
    else remove(record[key], rest);
  }
}
