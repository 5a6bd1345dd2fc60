import { ValidationError } from '../errors.js';
import { InMemoryLockManager, type LockManager } from '../locks.js';
import { type ClusterHost, ClusterNode, type ClusterOptions } from './cluster-node.js';
import { type CoordinatingStore, InMemoryLeases, type LeaseManager } from './leases.js';
import type { PubSub } from './pubsub.js';

export interface ClusterSetup {
  pubsub: PubSub;
  lockManager?: LockManager;
  leases?: LeaseManager;
  cluster?: ClusterOptions;
}

/**
 * The node of a kit given a pub/sub. Room locks and leases come from the options, else from the
 * store (PostgresStore's advisory locks); a pub/sub that spans processes without shared locks
 * would let two processes answer the same message, so that is refused. With an in-process
 * pub/sub, in-process locks and leases are enough (kits in one process sharing them).
 */
export function createClusterNode(setup: ClusterSetup, host: ClusterHost): ClusterNode {
  let { lockManager: locks, leases } = setup;
  if (!locks || !leases) {
    const coordination = (host.store as Partial<CoordinatingStore>).coordination?.();
    locks ??= coordination?.locks;
    leases ??= coordination?.leases;
  }
  if (!locks || !leases) {
    if (setup.pubsub.distributed) {
      throw new ValidationError(
        `a pubsub that spans processes (${setup.pubsub.name}) needs room locks and leases shared by ` +
          `every process: use PostgresStore (it provides both), or pass lockManager and leases`,
        undefined,
        'pubsub',
      );
    }
    locks ??= new InMemoryLockManager();
    leases ??= new InMemoryLeases();
  }
  return new ClusterNode(host, setup.pubsub, locks, leases, setup.cluster);
}
