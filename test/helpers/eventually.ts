/**
 * Polls until `check` passes (sockets, timers and stores deliver asynchronously), every 5 ms,
 * and fails with the check's last error after `timeoutMs`. Wait for what must happen with
 * this, never for a fixed time: a loaded machine stalls the loop past any sleep.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
