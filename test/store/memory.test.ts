import { MemoryStore } from '../../src/store/memory-store.js';
import { runStoreConformance } from '../conformance/store.js';

runStoreConformance('memory', async () => new MemoryStore());
