import type { Collection } from 'mongodb';
import { type Ctx, type Ops, retryOnDuplicate } from './ctx.ts';

/** One document under a fixed string id (Ctx types every collection with the driver's ObjectId ids). */
interface ProbeDoc {
  _id: string;
  at: number;
}

export const healthOps = (c: Ctx): Pick<Ops, 'probeWrite'> => {
  const health = c.col.health as unknown as Collection<ProbeDoc>;
  return {
    // A real write the server must acknowledge (the client's write concern): a read would pass on a full disk.
    probeWrite: async () => {
      await retryOnDuplicate(() => health.updateOne({ _id: 'probe' }, { $set: { at: c.now() } }, { upsert: true }));
    },
  };
};
