// Field datasets as training input (issue 15): every folder `gradebooth fleet datasets --out EXPORT_DIR`
// wrote is reconstructed from its frames and calibration records and written as the <card>/<side>/maps/
// files `gradebooth sim dataset --maps` writes (src/fleet/dataset-training.ts), for
// `FIELD_DATA=OUT bash scripts/train-surface-model.sh`.
//   node --import tsx scripts/train/field-to-training.ts --in EXPORT_DIR --out OUT [--json]
// A side an operator marked 'missed-defect' is excluded (its defect's place is unknown); one marked
// 'not-a-defect' on surface is written clean. Exit 1 with a GB_ error on a folder that is not an export or a
// damaged file (nothing half-written: each side's maps are renamed into place whole).
import { parseArgs } from 'node:util';
import { convertExportedDataset, findExportedDatasets } from '../../src/fleet/dataset-training.ts';

const { values } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } } });
if (!values.in || !values.out) {
  process.stderr.write('GB_USAGE: field-to-training --in EXPORT_DIR --out OUT [--json]\n');
  process.exit(2);
}
try {
  let written = 0, excluded = 0;
  for (const dir of await findExportedDatasets(values.in)) {
    const r = await convertExportedDataset(dir, values.out);
    if (r.out) written++;
    else excluded++;
    process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : r.out ? `${dir} -> ${r.out} (${r.labelledDefects} labelled defect(s))\n` : `${dir}: excluded: ${r.excluded}\n`);
  }
  if (!values.json) process.stdout.write(`${written} side(s) written, ${excluded} excluded\n`);
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`${e.code ?? 'GB_INTERNAL'}: ${e.message}\n`);
  process.exit(1);
}
