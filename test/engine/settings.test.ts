/** The one validation table of the estimator settings (src/engine/estimate/settings.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { isInputError } from '../../src/engine/errors';
import { DEFAULT_SETTINGS, SETTINGS_TABLE, mergeSettings, resolveSettings, validateSettings } from '../../src/engine/estimate/settings';
import { Rng } from '../../src/engine/random';

function badSetting(f: () => unknown, setting: string, message: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.ok(isInputError(e), `an input error, not ${(e as Error).name}: ${(e as Error).message}`);
    assert.equal(e.code, 'BAD_SETTINGS');
    assert.equal(e.setting, setting);
    assert.match(e.message, message);
    return;
  }
  assert.fail(`no error for ${setting}`);
}

describe('estimator settings', () => {
  it('the defaults pass the table, and every default is in the table', () => {
    validateSettings(DEFAULT_SETTINGS);
    const paths = Object.entries(DEFAULT_SETTINGS).flatMap(([k, v]) => (typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).map((s) => `${k}.${s}`) : [k]));
    assert.deepEqual(paths.sort(), Object.keys(SETTINGS_TABLE).sort());
  });

  it('a bad value names the setting, the value and what is accepted', () => {
    badSetting(() => resolveSettings({ probe: 'svm' as never }), 'probe', /'probe' must be one of "auto", "lda", "logistic", "mlp", got "svm"/);
    badSetting(() => resolveSettings({ calibrate: 'platt' as never }), 'calibrate', /one of "temperature", "bias", "vector", "none"/);
    badSetting(() => resolveSettings({ components: 0 }), 'components', /"auto" or an integer ≥ 1, got 0/);
    badSetting(() => resolveSettings({ components: 2.5 }), 'components', /got 2\.5/);
    badSetting(() => resolveSettings({ covariance: 'banana' as never }), 'covariance', /"auto", "diag", "full", "tied"/);
    badSetting(() => resolveSettings({ folds: 1 }), 'folds', /an integer in \[2, 100\], got 1/);
    badSetting(() => resolveSettings({ seed: -1 }), 'seed', /got -1/);
    badSetting(() => resolveSettings({ mlp: { learningRate: 0 } }), 'mlp.learningRate', /a number in \(0, ∞\), got 0/);
    badSetting(() => resolveSettings({ mlp: { valFraction: 0.7 } }), 'mlp.valFraction', /\(0, 0\.5\]/);
    badSetting(() => resolveSettings({ logistic: { penalties: [] } }), 'logistic.penalties', /a list of at least 1 value/);
    badSetting(() => resolveSettings({ logistic: { penalties: [1e-2, -1] } }), 'logistic.penalties', /got \[0\.01,-1\]/);
    badSetting(() => resolveSettings({ lda: { shrinkage: 2 } }), 'lda.shrinkage', /"auto", "oas" or a number in \[0, 1\]/);
    badSetting(() => resolveSettings({ knife: { useTanh: 'yes' as never } }), 'knife.useTanh', /true or false/);
    badSetting(() => resolveSettings({ nope: 1 } as never), 'nope', /unknown setting 'nope'/);
    badSetting(() => resolveSettings({ mlp: { epoch: 3 } as never }), 'mlp.epoch', /unknown setting 'mlp.epoch'/);
    badSetting(() => validateSettings({ ...DEFAULT_SETTINGS, components: 50 }, { n: 40 }), 'components', /exceeds the number of samples \(40\)/);
    badSetting(() => resolveSettings({ mode: 'knife', covariance: 'tied' }), 'covariance', /KNIFE .* diagonal or full covariance only/);
    // accepted: 'auto', fixed values, fixed shrinkage
    assert.equal(resolveSettings({ components: 7, lda: { shrinkage: 0.3 } }).components, 7);
    assert.equal(resolveSettings({}).components, 'auto');
  });

  it('groups merge key by key; undefined never overrides', () => {
    const m = mergeSettings({ mlp: { epochs: 3 }, folds: 3 }, { mlp: { hidden: 8 }, folds: undefined, probe: 'lda' });
    assert.deepEqual(m, { folds: 3, probe: 'lda', mlp: { epochs: 3, hidden: 8 } });
    const s = resolveSettings(m);
    assert.equal(s.mlp.epochs, 3);
    assert.equal(s.mlp.hidden, 8);
    assert.equal(s.mlp.batchSize, DEFAULT_SETTINGS.mlp.batchSize);
  });

  it('the CLI reports a bad value as a usage error naming the flag (exit 2)', async () => {
    const out = { text: '', write(t: string) { this.text += t; } };
    const err = { text: '', write(t: string) { this.text += t; } };
    assert.equal(await main(['estimate', 'whatever.arrow', '--probe', 'svm'], out, err), 2);
    assert.match(err.text, /lsmi: --probe: 'probe' must be one of "auto", "lda", "logistic", "mlp", got "svm"/);
    err.text = '';
    assert.equal(await main(['estimate', 'whatever.arrow', '--components', 'lots'], out, err), 2);
    assert.match(err.text, /--components: 'components' must be one of "auto" or an integer ≥ 1, got "lots"/);
  });

  it('stage streams derive from the root seed and the stage name alone', () => {
    const a = Rng.derive(7, 'probe 12').nextU32();
    assert.equal(Rng.derive(7, 'probe 12').nextU32(), a);
    assert.notEqual(Rng.derive(7, 'probe 1').nextU32(), a);
    assert.notEqual(Rng.derive(8, 'probe 12').nextU32(), a);
  });
});
