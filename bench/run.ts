/**
 * `npm run bench`: every benchmark, one JSON line per figure. Pass names to run a subset:
 * `npm run bench -- text pipeline`.
 */
type Bench = () => Promise<Record<string, unknown> | Record<string, unknown>[]>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  text: async () => (await import('./text-throughput.js')).benchTextThroughput,
  store: async () => (await import('./store.js')).benchSqliteCommit,
  pipeline: async () => (await import('./pipeline.js')).benchPipeline,
  speech: async () => (await import('./speech.js')).benchSpeech,
  realtime: async () => (await import('./realtime.js')).benchRealtime,
  voice: async () => (await import('./voice.js')).benchVoice,
};

const wanted = process.argv.slice(2);
let failed = false;
for (const [name, load] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  try {
    const result = await (await load())();
    for (const line of Array.isArray(result) ? result : [result]) console.log(JSON.stringify({ suite: name, ...line }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ suite: name, error: error instanceof Error ? error.message : String(error) }));
  }
}
process.exitCode = failed ? 1 : 0;
