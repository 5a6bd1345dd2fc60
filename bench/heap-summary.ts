/**
 * What a heap snapshot holds, and what holds it: the largest kinds of object (by self size),
 * then, for one kind, its most common retainer chains. For snapshots the voice bench writes
 * with ROOMKIT_BENCH_SNAPSHOT=dir (bench/voice-server-stats.ts), or any .heapsnapshot.
 *
 *   node --max-old-space-size=8000 --import tsx bench/heap-summary.ts step.heapsnapshot ["object:Int16Array"]
 *     [--since earlier.heapsnapshot]
 *
 * A kind is `type:name` as printed in the first table. With `--since`, only objects younger
 * than that earlier snapshot of the same process count: alive now and made since, which is
 * what a scavenge would have to copy. (Found this way: event ids kept as trees of
 * cons-strings, 61,000 of them in a 450-call server.)
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      edge_fields: string[];
      node_types: [string[]];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const args = process.argv.slice(2);
const sinceAt = args.indexOf('--since');
const since = sinceAt >= 0 ? args.splice(sinceAt, 2)[1] : undefined;
const [file, kind] = args;
if (!file)
  throw new Error('usage: heap-summary.ts <file.heapsnapshot> [kind] [--since earlier.heapsnapshot]');
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
/**
 * A JS object's id only grows within a process: one above every id of the earlier snapshot is
 * younger. (The embedder's native nodes are numbered apart, so they are left out.)
 */
const maxId = (s: Snapshot) => {
  const NF = s.snapshot.meta.node_fields.length;
  const [at, typeAt] = ['id', 'type'].map((f) => s.snapshot.meta.node_fields.indexOf(f)) as [number, number];
  let max = 0;
  for (let i = 0; i < s.nodes.length; i += NF) {
    const type = s.snapshot.meta.node_types[0][s.nodes[i + typeAt]!];
    if (type !== 'native' && type !== 'synthetic') max = Math.max(max, s.nodes[i + at]!);
  }
  return max;
};
const youngerThan = since ? maxId(JSON.parse(readFileSync(since, 'utf8')) as Snapshot) : -1;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const field = (name: string) => meta.node_fields.indexOf(name);
const [nType, nName, nSize, nEdges, nId] = ['type', 'name', 'self_size', 'edge_count', 'id'].map(field) as [
  number,
  number,
  number,
  number,
  number,
];
const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [
  number,
  number,
  number,
];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;

const kindOf = (i: number) =>
  `${meta.node_types[0][nodes[i * NF + nType]!]}:${strings[nodes[i * NF + nName]!]}`.slice(0, 60);
const edgeLabel = (e: number) => {
  const type = meta.edge_types[0][edges[e + eType]!];
  const value = edges[e + eName]!;
  return type === 'element' || type === 'hidden' ? `[${value}]` : strings[value];
};

// Who points at each node (weak edges do not keep anything alive).
const retainers: [number, number][][] = Array.from({ length: count }, () => []);
for (let i = 0, e = 0; i < count; i++) {
  for (const end = e + nodes[i * NF + nEdges]! * EF; e < end; e += EF) {
    if (meta.edge_types[0][edges[e + eType]!] === 'weak') continue;
    retainers[edges[e + eTo]! / NF]!.push([i, e]);
  }
}

const counted = (i: number) =>
  nodes[i * NF + nId]! > youngerThan && !['native', 'synthetic'].includes(kindOf(i).split(':')[0]!);
const kinds = new Map<string, { objects: number; bytes: number }>();
let total = 0;
/** Compiled code and its metadata: the JIT's, not the program's objects. */
let code = 0;
for (let i = 0; i < count; i++) {
  if (!counted(i)) continue;
  total += nodes[i * NF + nSize]!;
  if (kindOf(i).startsWith('code:')) code += nodes[i * NF + nSize]!;
  const entry = kinds.get(kindOf(i)) ?? { objects: 0, bytes: 0 };
  entry.objects++;
  entry.bytes += nodes[i * NF + nSize]!;
  kinds.set(kindOf(i), entry);
}
console.log(
  `${total} bytes${since ? ` in objects younger than ${since}` : ''}, ${total - code} without code objects\nbytes      objects  kind`,
);
for (const [name, { objects, bytes }] of [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 40))
  console.log(String(bytes).padStart(10), String(objects).padStart(8), name);

if (kind) {
  // Each object's first retainer, eight steps up: the chains most objects of the kind share.
  const chains = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (kindOf(i) !== kind || !counted(i)) continue;
    const steps: string[] = [];
    for (let at = i, depth = 0; depth < 8; depth++) {
      const by = retainers[at]![0];
      if (!by) break;
      steps.push(`${edgeLabel(by[1])} <- ${kindOf(by[0])}`);
      at = by[0];
    }
    const chain = steps.join(' | ');
    chains.set(chain, (chains.get(chain) ?? 0) + 1);
  }
  console.log(`\nretainers of ${kind}:`);
  for (const [chain, n] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(n, chain);
}
