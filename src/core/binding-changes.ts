/**
 * A process-wide count of binding changes, for per-frame readers that cache what a binding
 * allows. Every place that makes a binding visible, changes or removes it (a room state's
 * bindings, a room state becoming visible, a voice worker's copy) bumps it; a cached answer
 * is good while the count is the one it was read at. Bindings change a few times per call at
 * most, frames fifty times a second per call.
 */
export const bindingChanges = { count: 0 };

export function bindingsChanged(): void {
  bindingChanges.count++;
}
