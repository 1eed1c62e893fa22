// Which machine a run runs on, for telling a dead run from a live one on the same machine. The host
// name alone may repeat across scaled-out instances, so App Service's per-instance id is added.
import { hostname } from 'node:os';

export function hostIdentity(env: Record<string, string | undefined> = process.env): string {
  const instance = env.WEBSITE_INSTANCE_ID?.trim();
  return instance ? `${hostname()}/${instance}` : hostname();
}
