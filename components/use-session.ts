/**
 * Subscribes a component to the session store. The store mutates its state
 * in place and counts changes in `version`, so that count is the snapshot
 * React compares to decide whether to render again.
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { SessionStore, SessionView } from '../src/dev/session-store.js';

/** The store's state, re-rendering the caller after each batched change notice. */
export function useSession(store: SessionStore): SessionView {
  const subscribe = useCallback((onChange: () => void) => store.subscribe(onChange), [store]);
  const version = useCallback(() => store.state.version, [store]);
  useSyncExternalStore(subscribe, version, version);
  return store.state;
}
