import { interleaveBySubscription } from '../lib/schedule';

const vm = (sub: string, name: string) => ({ vmId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}` });

describe('interleaveBySubscription', () => {
  it('deals the start order round-robin over subscriptions, keeping each subscription in its own order', () => {
    const items = [vm('a', '1'), vm('a', '2'), vm('a', '3'), vm('B', '1'), vm('b', '2'), vm('c', '1')];
    expect(interleaveBySubscription(items)).toEqual([0, 3, 5, 1, 4, 2]);
  });

  it('is a permutation: every item starts exactly once', () => {
    const items = Array.from({ length: 50 }, (_, i) => vm(`s${i % 7}`, String(i)));
    expect([...interleaveBySubscription(items)].sort((x, y) => x - y)).toEqual(items.map((_, i) => i));
    expect(interleaveBySubscription([])).toEqual([]);
  });
});
