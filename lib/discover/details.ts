// The job itself, when what discovery saw of it cannot be classified. Resource Graph rows are not known
// to carry `errorDetails` or `extendedInfo` (public samples project neither), and REST job lists are
// read by real clients as lacking `extendedInfo` (the job GET, JobDetails_Get, is documented as the
// "extended information" read). Classifying a row without them would leave every failure Unclassified,
// so the engine reads the job once before classifying it (docs/emulator.md, "Job shapes").
import type { ArmContext } from '../arm/clients';
import { parseJobId } from '../arm/ids';
import type { Classification } from '../types';
import { normaliseJob } from './jobs';
import type { Candidate, JobProperties } from './types';

function hasErrorDetails(job: JobProperties): boolean {
  return Array.isArray(job.errorDetails) && job.errorDetails.length > 0;
}

function hasExtendedInfo(job: JobProperties): boolean {
  const info = job.extendedInfo;
  return !!info && typeof info === 'object' && Object.keys(info).length > 0;
}

/**
 * Whether the job must be read before it is classified: it has no error details, or it has no
 * extended info and what it has does not settle one code (Unclassified, or only message text
 * matched, which two codes can share): the extended info's own message may decide. A job already
 * read with JobDetails_Get is never read again, so a candidate costs at most one job GET.
 */
export function needsJobDetails(candidate: Pick<Candidate, 'job' | 'detailsRead'>, classification: Pick<Classification, 'code' | 'signals'>): boolean {
  if (candidate.detailsRead) return false;
  if (!hasErrorDetails(candidate.job)) return true;
  if (hasExtendedInfo(candidate.job)) return false;
  const matched = classification.signals.filter((s) => s.matched);
  return classification.code === 'Unclassified' || matched.every((s) => s.matched!.by === 'message');
}

/** The candidate with its job as JobDetails_Get returns it (ids unchanged). Errors propagate. */
export async function readJobDetails(arm: ArmContext, candidate: Candidate): Promise<Candidate> {
  const ref = parseJobId(candidate.jobId);
  const j = await arm.backup(ref.vault.subscriptionId).jobDetails.get(ref.vault.name, ref.vault.resourceGroup, ref.name);
  const job = normaliseJob((j.properties ?? {}) as unknown as Record<string, unknown>);
  return { ...candidate, job, detailsRead: true };
}
