import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CodecError, lz4FrameDecode } from '../../src/engine/io/codecs';
import { fixture } from './fixtures';

describe('LZ4 frame decoder', () => {
  for (const name of ['random', 'repetitive', 'floats', 'tiny', 'large']) {
    it(`decodes a frame compressed by Arrow C++: ${name}`, () => {
      const dir = fixture('lz4-frames');
      const raw = fs.readFileSync(path.join(dir, `${name}.raw`));
      const compressed = fs.readFileSync(path.join(dir, `${name}.lz4`));
      const out = lz4FrameDecode(new Uint8Array(compressed));
      assert.equal(out.length, raw.length);
      assert.ok(Buffer.from(out.buffer, out.byteOffset, out.length).equals(raw));
    });
  }

  it('rejects data that is not an LZ4 frame', () => {
    assert.throws(() => lz4FrameDecode(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), CodecError);
  });

  it('rejects a truncated frame', () => {
    const compressed = fs.readFileSync(path.join(fixture('lz4-frames'), 'repetitive.lz4'));
    assert.throws(() => lz4FrameDecode(new Uint8Array(compressed.subarray(0, compressed.length - 40))), CodecError);
  });
});
