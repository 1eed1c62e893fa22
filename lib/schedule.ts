// The order work starts in. ARM meters reads and writes per (subscription, principal) token bucket,
// and the buckets of different subscriptions refill side by side. Candidates arrive sorted by VM id,
// i.e. grouped by subscription: started in that order, every worker queues on one subscription's
// exhausted budget while the other subscriptions' budgets sit full. Dealing the start order
// round-robin over subscriptions keeps every subscription's buckets draining at once. Only the start
// order changes: the report keeps discovery's sorted order, and within one subscription the order is
// discovery's (so caps that bind on one subscription pick the same VMs as before).

const SUBSCRIPTION = /^\/subscriptions\/([^/]+)/i;

function subscriptionOf(id: string): string {
  return SUBSCRIPTION.exec(id)?.[1]?.toLowerCase() ?? '';
}

/**
 * Indexes of `items` in start order: first item of each subscription (in order of first appearance),
 * then the second of each, and so on.
 */
export function interleaveBySubscription(items: readonly { vmId: string }[]): number[] {
  const queues = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = subscriptionOf(it.vmId);
    const q = queues.get(key);
    if (q) q.push(i);
    else queues.set(key, [i]);
  });
  const lanes = [...queues.values()];
  const order: number[] = [];
  for (let round = 0; order.length < items.length; round++) {
    for (const lane of lanes) if (round < lane.length) order.push(lane[round]!);
  }
  return order;
}
