import { describe, expect, it } from 'vitest';
import { assertSharedMedia } from '../../src/lib/deployment.ts';
import type { MediaHost } from '../../src/lib/media-host/port.ts';
import type { Store } from '../../src/lib/store/port.ts';

const store = (shared: boolean) => ({ name: shared ? 'mongodb' : 'sqlite', shared }) as Store;
const media = (shared: boolean) => ({ name: shared ? 'cloudinary' : 'local', shared }) as MediaHost;

describe('assertSharedMedia', () => {
  it('refuses a shared store with media that stays on one machine, and says what to set', () => {
    expect(() => assertSharedMedia({ store: store(true), mediaHost: media(false) })).toThrow(
      expect.objectContaining({ code: 'VIDBOT_CONFIG_INVALID', hint: expect.stringContaining('CLOUDINARY_URL') }),
    );
  });

  it('accepts one machine, or a shared store with shared media', () => {
    expect(() => assertSharedMedia({ store: store(false), mediaHost: media(false) })).not.toThrow();
    expect(() => assertSharedMedia({ store: store(true), mediaHost: media(true) })).not.toThrow();
  });
});
