import { type CheckOutcome, fail, pass } from '../types.ts';

/** The oldest Node.js vidbot runs on (node:sqlite without a flag, require(esm)). */
export const MIN_NODE = { major: 22, minor: 13 } as const;

/** Node.js 22.13 or newer; older versions lack what vidbot's store and loader need. */
export const checkNode = (version: string): CheckOutcome => {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  const [major, minor] = [Number(match?.[1] ?? NaN), Number(match?.[2] ?? NaN)];
  const wanted = `${MIN_NODE.major}.${MIN_NODE.minor}`;
  const upgrade = `Install Node.js ${wanted} or newer (Node 24 LTS recommended), e.g. \`nvm install 24 && nvm use 24\` or your package manager's nodejs package.`;
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return fail(`cannot read the Node.js version "${version}"`, upgrade);
  const ok = major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor);
  const shown = version.replace(/^v?/, 'v');
  return ok ? pass(`${shown} (needs >= ${wanted})`) : fail(`${shown} is older than ${wanted}`, upgrade);
};
