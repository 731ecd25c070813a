import { describe, expect, it } from 'vitest';
import { readMultipart } from './multipart.ts';

// The fakes read uploads as the services do; a fake that refuses what the SDK sends fails tests at random.
describe('the fakes\' multipart reader', () => {
  const body = (boundary: string, file: Buffer) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n123\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--`),
    ]);

  it('ends a part only at CRLF, "--" and the boundary, however short the boundary', () => {
    // Cloudinary's SDK sends boundaries as short as two characters; the data holds them, and "--" before them.
    const file = Buffer.concat([Buffer.from([0, 0x0d, 0x0a, 0xff]), Buffer.from('ls--ls\r\n-ls\r\n\r\n-\r\n--l'), Buffer.from([0x0d, 0x0a])]);
    const parts = readMultipart(body('ls', file), 'multipart/form-data; boundary=ls');
    expect(parts.map((p) => [p.name, p.filename])).toEqual([['api_key', undefined], ['file', 'clip.mp4']]);
    expect(parts[0]?.data.toString()).toBe('123');
    expect(parts[1]?.data.equals(file)).toBe(true);
  });

  it('refuses what is not a multipart body', () => {
    expect(() => readMultipart(Buffer.from('a=1'), 'application/x-www-form-urlencoded')).toThrow(/no boundary/);
    expect(() => readMultipart(body('ls', Buffer.from('x')).subarray(0, 60), 'multipart/form-data; boundary=ls')).toThrow(/closing boundary/);
    expect(() => readMultipart(Buffer.from('--ls\r\nno headers here\r\n--ls--'), 'multipart/form-data; boundary=ls')).toThrow(/without headers/);
  });
});
