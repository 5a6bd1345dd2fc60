// The talk button: microphone -> /voice (PCM s16le, 16 kHz, binary frames) -> VoiceChannel;
// the agent's speech comes back the same way and is played in order; clear_audio (barge-in)
// stops it at once.
const RATE = 16000;
const FRAME = 320; // 20 ms

export class VoiceTalk {
  constructor({ token, onStatus, onTranscript, onLevels, onReceived }) {
    Object.assign(this, { token, onStatus, onTranscript, onLevels, onReceived });
    this.ws = null;
    this.ctx = null;
    this.pending = new Float32Array(0);
    this.playAt = 0;
    this.sources = new Set();
    this.receivedBytes = 0;
    this.levels = { input: -100, output: -100 };
  }

  get active() {
    return this.ws !== null;
  }

  async start(roomId) {
    this.ctx = new AudioContext({ sampleRate: RATE });
    await this.ctx.resume();
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    await this.ctx.audioWorklet.addModule('/mic-worklet.js');
    const source = this.ctx.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.ctx, 'mic-capture');
    this.node.port.onmessage = (ev) => this.onMic(ev.data);
    source.connect(this.node);
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = this.token ? `?${new URLSearchParams({ token: this.token })}` : '';
    this.ws = new WebSocket(`${proto}://${location.host}/voice${q}`);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () =>
      this.ws.send(JSON.stringify({ type: 'start', sampleRate: RATE, roomId, framing: 'binary' }));
    this.ws.onmessage = (ev) =>
      typeof ev.data === 'string' ? this.onControl(JSON.parse(ev.data)) : this.onAudio(ev.data);
    this.ws.onclose = () => this.stop('voice disconnected');
    this.onStatus('connecting voice…');
  }

  stop(reason = 'voice off') {
    this.clearPlayback();
    this.node?.disconnect();
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    if (this.ws && this.ws.readyState <= 1) this.ws.close();
    this.ctx?.close();
    this.ws = this.ctx = this.node = this.stream = null;
    this.ready = false;
    this.onStatus(reason);
  }

  onControl(msg) {
    if (msg.type === 'ready') {
      this.ready = true;
      this.onStatus(`talking (${msg.sampleRate} Hz)`);
    } else if (msg.type === 'clear_audio') {
      this.clearPlayback();
    } else if (msg.type === 'transcription') {
      this.onTranscript(msg.text, msg.role, msg.final);
    } else if (msg.type === 'error') {
      this.onStatus(`voice error: ${msg.message}`);
    }
  }

  onMic(block) {
    if (!this.ready) return;
    const joined = new Float32Array(this.pending.length + block.length);
    joined.set(this.pending);
    joined.set(block, this.pending.length);
    let offset = 0;
    while (joined.length - offset >= FRAME) {
      const frame = joined.subarray(offset, offset + FRAME);
      offset += FRAME;
      const pcm = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++)
        pcm[i] = Math.max(-32768, Math.min(32767, Math.round(frame[i] * 32767)));
      this.ws.send(pcm.buffer);
      this.levels.input = dbfs(frame);
    }
    this.pending = joined.slice(offset);
    this.onLevels(this.levels);
  }

  onAudio(buffer) {
    this.receivedBytes += buffer.byteLength;
    this.onReceived(this.receivedBytes);
    const pcm = new Int16Array(buffer);
    const audio = this.ctx.createBuffer(1, pcm.length, RATE);
    const data = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    this.levels.output = dbfs(data);
    this.onLevels(this.levels);
    const node = this.ctx.createBufferSource();
    node.buffer = audio;
    node.connect(this.ctx.destination);
    this.playAt = Math.max(this.playAt, this.ctx.currentTime + 0.02);
    node.start(this.playAt);
    this.playAt += audio.duration;
    this.sources.add(node);
    node.onended = () => this.sources.delete(node);
  }

  clearPlayback() {
    for (const node of this.sources) node.stop();
    this.sources.clear();
    this.playAt = 0;
  }
}

function dbfs(samples) {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100;
}
