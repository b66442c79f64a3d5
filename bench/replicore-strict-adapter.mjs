// The replicore adapter with durability 'strict' (compare with raw-idb-strict).
import { makeAdapter } from './replicore-adapter.mjs';

export default makeAdapter('strict');
