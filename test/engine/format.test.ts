import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MINUS,
  asciiMinus,
  formatCount,
  formatDelta,
  formatDeltaInterval,
  formatFixed,
  formatFraction,
  formatInterval,
  formatLevel,
  formatNats,
  formatPercent,
  formatPValue,
  formatRatio,
  formatSeconds,
  formatSigned,
  formatTemperature,
  formatTick,
} from '../../src/engine/format';

describe('number formatter (src/engine/format.ts)', () => {
  it('uses the Unicode minus U+2212, never an ASCII hyphen', () => {
    assert.equal(MINUS, '\u2212');
    assert.equal(formatNats(-0.0231), '\u22120.0231');
    assert.equal(formatDelta(-0.0073), '\u22120.0073');
    assert.equal(formatTick(-0.25), '\u22120.25');
    for (const x of [-1, -0.5, -1e-3, -123.456, -1e20]) for (const s of [formatNats(x), formatDelta(x), formatTick(x), formatFraction(x)]) assert.doesNotMatch(s, /-/, s);
  });

  it('has no negative zero: -0 and values that round to zero print without a sign', () => {
    assert.equal(formatNats(-0), '0.0000');
    assert.equal(formatNats(-0.00004), '0.0000');
    assert.equal(formatNats(0.00004), '0.0000');
    assert.equal(formatNats(-0.00005000001), '\u22120.0001');
    assert.equal(formatTick(-0.004), '0.00');
    assert.equal(formatFraction(-0.0004), '0.000');
    assert.equal(formatFixed(-1e-300, 4), '0.0000');
    assert.equal(formatFixed(-4e-7, 6), '0.000000');
    // a signed difference that rounds to zero has neither + nor −
    assert.equal(formatDelta(-0), '0.0000');
    assert.equal(formatDelta(0), '0.0000');
    assert.equal(formatDelta(-0.00004), '0.0000');
    assert.equal(formatDelta(0.00004), '0.0000');
    assert.equal(formatSigned(-0.04, 1), '0.0');
    assert.equal(formatRatio(-0.04), '0.0');
    assert.equal(formatPercent(-0.0000001), '0.0 %');
    assert.equal(formatCount(-0), '0');
    assert.equal(formatCount(-0.4), '0');
  });

  it('gives Δ an explicit sign', () => {
    assert.equal(formatDelta(0.0094), '+0.0094');
    assert.equal(formatDelta(-0.0094), '\u22120.0094');
    assert.equal(formatDelta(1.5), '+1.5000');
    assert.equal(formatDeltaInterval({ lo: -0.0175, hi: 0.01 }), '[\u22120.0175, +0.0100]');
    assert.equal(formatDeltaInterval({ lo: -0.00001, hi: 0.02 }), '[0.0000, +0.0200]');
    assert.equal(formatDeltaInterval(null), '');
  });

  it('prints missing values as an em dash and infinities as ∞', () => {
    for (const f of [formatNats, formatDelta, formatFraction, formatTick, formatCount, formatPercent, formatTemperature, formatSeconds]) {
      assert.equal(f(NaN), '—');
      assert.equal(f(null), '—');
      assert.equal(f(undefined), '—');
    }
    assert.equal(formatNats(Infinity), '∞');
    assert.equal(formatNats(-Infinity), '\u2212∞');
    assert.equal(formatDelta(Infinity), '+∞');
    assert.equal(formatDelta(-Infinity), '\u2212∞');
    assert.equal(formatPValue(NaN), 'p = —');
  });

  it('chooses the precision by quantity', () => {
    assert.equal(formatNats(1.70754), '1.7075');
    assert.equal(formatNats(1.70756), '1.7076');
    assert.equal(formatInterval({ lo: 1.663, hi: 1.75 }), '[1.6630, 1.7500]');
    assert.equal(formatInterval({ lo: 0.9, hi: 0.95 }, formatFraction), '[0.900, 0.950]');
    assert.equal(formatInterval(undefined), '');
    assert.equal(formatFraction(0.91234), '0.912');
    assert.equal(formatTick(1.2345), '1.23');
    assert.equal(formatPercent(0.125), '12.5 %');
    assert.equal(formatPercent(0.95, 0), '95 %');
    assert.equal(formatLevel(0.95), '95 %');
    assert.equal(formatLevel(0.995), '99.5 %');
    assert.equal(formatTemperature(0.8712), '0.87');
    assert.equal(formatTemperature(12.34), '12.3');
    assert.equal(formatTemperature(140.2), '140');
    assert.equal(formatSeconds(2.64), '2.6 s');
    assert.equal(formatRatio(3.14159), '3.1');
    assert.equal(formatPValue(0.0004), 'p < 0.001');
    assert.equal(formatPValue(0.0123), 'p = 0.012');
  });

  it('groups counts by thousands', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1000), '1,000');
    assert.equal(formatCount(20000), '20,000');
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(-1234), '\u22121,234');
    assert.equal(formatCount(1e6), (1e6).toLocaleString('en-US'));
  });

  it('keeps large and small magnitudes readable', () => {
    assert.equal(formatNats(123456.789), '123456.7890');
    assert.equal(formatNats(-123456.789), '\u2212123456.7890');
    // toFixed switches to exponents at 1e21; the formatter does so at 1e15, with the same digits
    assert.equal(formatNats(1e300), '1.0000e+300');
    assert.equal(formatNats(-2.5e20), '\u22122.5000e+20');
    assert.equal(formatNats(1e-12), '0.0000');
    assert.equal(formatNats(Number.MIN_VALUE), '0.0000');
    assert.equal(formatNats(-Number.MAX_VALUE), '\u22121.7977e+308');
    assert.equal(formatNats(0.00005), '0.0001');
  });

  it('round-trips through asciiMinus to the number shown', () => {
    for (const x of [-1.23456, 0.5, -0.00004, 7, -1e-9, 12345.6789]) {
      const shown = Number(asciiMinus(formatNats(x)));
      assert.ok(Math.abs(shown - x) <= 0.00005 + 1e-12, `${x} → ${shown}`);
      assert.ok(!Object.is(shown, -0), `${x} printed as negative zero`);
    }
  });
});
