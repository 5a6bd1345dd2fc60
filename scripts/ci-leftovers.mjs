// Processes a CI run left behind that still write to its output: whoever reads CI's output
// waits until every writer has closed it, so one orphan (a test's child that outlived its test
// worker, with the run's stdout as its own) holds the whole run open until CI's own limit.
// Names each on stderr and kills it. Run by .ci/run at its end; silent when there are none.
// Linux only (reads /proc); elsewhere it finds nothing.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const read = (fn) => {
  try {
    return fn();
  } catch {
    return undefined; // the process exited while we looked
  }
};
const parentOf = (pid) => {
  const stat = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // The parent is the second field after the command, which is in parentheses.
  return stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : 0;
};

const ancestors = new Set();
for (let pid = process.pid; pid > 1; pid = parentOf(pid)) ancestors.add(pid);

const ours = new Set(
  [1, 2].map((fd) => read(() => readlinkSync(`/proc/self/fd/${fd}`))).filter((t) => t?.startsWith('pipe:')),
);
if (!ours.size) process.exit(0); // the output is a file or a terminal: nobody waits on a pipe
const pids =
  read(() =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number),
  ) ?? [];
for (const pid of pids) {
  if (ancestors.has(pid)) continue;
  const writes = [1, 2].some((fd) => ours.has(read(() => readlinkSync(`/proc/${pid}/fd/${fd}`))));
  if (!writes) continue;
  const command = read(() =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 300),
  );
  console.error(`ci: a process left by the run still holds its output; killing it: ${pid} ${command ?? ''}`);
  read(() => process.kill(pid, 'SIGKILL'));
}
