// A run says what it looked at and left out: recovered and in-progress items over a scan, and for
// a targeted run the reason nothing was done (here: the VM's last backup already succeeded).

import { sampleEstatePath } from '../emulator/sample';
import { renderMarkdown, renderTable } from '../lib/report';
import { validateRunReport } from './helpers/run-report-schema';
import { useHarness } from './helpers/harness';
import { readFileSync } from 'node:fs';

const env = useHarness();
const sample = JSON.parse(readFileSync(sampleEstatePath(), 'utf8'));

describe('run notes', () => {
  it('a scan lists the recovered and in-progress VMs it left alone, and the report still validates', async () => {
    const e = await env(sample);
    const report = await e.run('plan');
    const byVm = new Map((report.notes ?? []).map((n) => [n.vmId?.split('/').pop(), n.reason]));
    expect(byVm.get('vm-recovered')).toMatch(/^already recovered: a later backup .* succeeded$/);
    expect(byVm.get('vm-in-progress')).toMatch(/is in progress: nothing is stacked on it$/);
    expect(report.items.some((i) => /vm-(recovered|in-progress)$/.test(i.vmId))).toBe(false);
    expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
    expect(renderTable(report, { width: 200 })).toMatch(/Not acted on \(\d+\):\n- rg-app\/vm-in-progress: /);
    expect(renderMarkdown(report)).toMatch(/### Not acted on/);
    expect(e.writes()).toEqual([]);
  });

  it('a one-VM run with nothing to do says why instead of an empty report', async () => {
    const e = await env(sample);
    const vmId = sample.subscriptions[0].resourceGroups[0].virtualMachines.find((v: { name: string }) => v.name === 'vm-recovered')
      ? `/subscriptions/${sample.subscriptions[0].id}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-recovered`
      : '';
    const report = await e.run('apply', { scope: { vmId } });
    expect(report.items).toEqual([]);
    expect(report.notes).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^already recovered/) })]);
    expect(e.writes()).toEqual([]);
  });
});
