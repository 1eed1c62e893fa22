// Examples printed after each command's --help: the two or three invocations an operator needs first.

const SUB = '<subscription-id>';

const EXAMPLES: Record<'program' | 'plan' | 'apply' | 'simulate' | 'demo' | 'approvals', string[]> = {
  program: [
    `backup-remediator plan --subscription ${SUB}                # read only: what would be done`,
    'backup-remediator plan --subscription <id> --out plan.json  # save the plan for review',
    'backup-remediator apply --plan plan.json                    # apply exactly the reviewed plan',
  ],
  plan: [
    `backup-remediator plan --subscription ${SUB} --since 48h`,
    'backup-remediator plan --vm /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<vm> --output markdown',
    `backup-remediator plan --subscription ${SUB} --out plan.json --output html > plan.html`,
  ],
  apply: [
    `backup-remediator apply --subscription ${SUB}               # shows the plan, asks, applies that plan`,
    'backup-remediator apply --plan plan.json --yes                # exactly the saved plan, facts re-checked',
    `backup-remediator apply --subscription ${SUB} --yes --output json > run.json`,
  ],
  simulate: [
    'backup-remediator simulate --port 8443 --ca-out /tmp/emu-ca.pem',
    'backup-remediator simulate --estate my-estate.json --port 0',
  ],
  approvals: [
    'backup-remediator approvals list --status pending',
    'backup-remediator approvals approve <id> --by alice@contoso.com --note "change #42"',
    'backup-remediator approvals reject <id> --note "not during the freeze"',
  ],
  demo: ['backup-remediator demo', 'backup-remediator demo --estate my-estate.json --output markdown'],
};

export function examples(command: keyof typeof EXAMPLES): string {
  return `\nExamples:\n${EXAMPLES[command].map((e) => `  $ ${e}`).join('\n')}\n`;
}
