import type { Db, Ops } from './pool.ts';

export const healthOps = (db: Db): Pick<Ops, 'probeWrite'> => ({
  // A real write the server commits: a read would still pass on a full disk or a read-only standby.
  probeWrite: async () => {
    await db.query(
      "INSERT INTO vidbot_probe (key, at) VALUES ('health', $1) ON CONFLICT (key) DO UPDATE SET at = excluded.at",
      [db.now()],
    );
  },
});
