/**
 * `npm run bench`: every benchmark, one JSON line per figure. Pass names to run a subset:
 * `npm run bench -- text pipeline`.
 */
type Bench = () => Promise<Record<string, unknown> | Record<string, unknown>[]>;

/** suite name -> [module in bench/, exported function]. */
const BENCHES: Record<string, [string, string]> = {
  text: ['text-throughput.ts', 'benchTextThroughput'],
  store: ['store.ts', 'benchSqliteCommit'],
  pipeline: ['pipeline.ts', 'benchPipeline'],
  voice: ['voice.ts', 'benchVoice'],
  'voice-alloc': ['voice-alloc.ts', 'benchVoiceAlloc'],
  'turn-burst': ['turn-burst.ts', 'benchTurnBurst'],
  speech: ['speech.ts', 'benchSpeech'],
  realtime: ['realtime.ts', 'benchRealtime'],
  'realtime-channel': ['realtime-channel.ts', 'benchRealtimeChannel'],
  sip: ['sip.ts', 'benchSip'],
  carriers: ['carriers.ts', 'benchCarriers'],
  hostile: ['hostile-clients.ts', 'benchHostileClients'],
  echo: ['echo.ts', 'benchEcho'],
  webrtc: ['webrtc.ts', 'benchWebRTC'],
  cluster: ['cluster.ts', 'benchCluster'],
  vad: ['vad.ts', 'benchVad'],
  diarization: ['diarization.ts', 'benchDiarization'],
};

async function load([file, fn]: [string, string]): Promise<Bench> {
  const mod = (await import(new URL(file, import.meta.url).href)) as Record<string, Bench>;
  const bench = mod[fn];
  if (typeof bench !== 'function') throw new Error(`bench/${file} does not export ${fn}`);
  return bench;
}

const wanted = process.argv.slice(2);
let failed = false;
for (const [name, entry] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  try {
    const result = await (await load(entry))();
    for (const line of Array.isArray(result) ? result : [result])
      console.log(JSON.stringify({ suite: name, ...line }));
  } catch (error) {
    failed = true;
    console.log(
      JSON.stringify({ suite: name, error: error instanceof Error ? error.message : String(error) }),
    );
  }
}
process.exitCode = failed ? 1 : 0;
