// A job named together with a VM (alerts and hints carry both) must belong to that VM: otherwise the
// target is ambiguous and nothing is a candidate, with a note saying why.

import { discoverFailures } from '../lib/discover';
import { startWithArm } from './helpers/emulator';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const JOB_A = '00000000-0000-4000-8000-0000000000a1';
const JOB_B = '00000000-0000-4000-8000-0000000000b1';
const estate = oneVaultEstate({
  vms: [vmSpec('vm-a'), vmSpec('vm-b')],
  jobs: [failedJob(JOB_A, 'vm-a', 'BackUpOperationFailed'), failedJob(JOB_B, 'vm-b', 'BackUpOperationFailed')],
});
const opts = { since: new Date('2026-11-19T06:00:00Z'), now: new Date('2026-11-20T06:00:00Z') };
const jobId = (name: string) => `${ids.vault(SUB, RG, VAULT)}/backupJobs/${name}`;

describe('job and VM named together', () => {
  it('agree: the job is the candidate', async () => {
    const { emu, arm } = await startWithArm(estate);
    try {
      const r = await discoverFailures(arm, { jobId: jobId(JOB_A), vmId: ids.vm(SUB, RG, 'vm-a') }, opts);
      expect(r.candidates.map((c) => c.jobId.toLowerCase())).toEqual([jobId(JOB_A).toLowerCase()]);
      expect(r.notes).toEqual([]);
    } finally {
      await emu.stop();
    }
  });

  it('disagree: no candidate, and a note names both VMs', async () => {
    const { emu, arm } = await startWithArm(estate);
    try {
      const r = await discoverFailures(arm, { jobId: jobId(JOB_B), vmId: ids.vm(SUB, RG, 'vm-a') }, opts);
      expect(r.candidates).toEqual([]);
      expect(r.skipped).toEqual([]);
      expect(r.notes).toHaveLength(1);
      expect(r.notes[0]!.reason).toMatch(/^ambiguous target: job .* belongs to .*vm-b, not to .*vm-a$/i);
    } finally {
      await emu.stop();
    }
  });
});
