/**
 * The layers of src/, lowest first (ARCHITECTURE.md says what each holds). A module may import
 * its own layer and the layers below it, never one above, and nothing may form a cycle. Type-only
 * imports count too: a type is a dependency on its home. `npm run check` runs this.
 */
const layers = [
  { name: 'ground', path: '^src/(safety/|errors\\.ts$|exit-codes\\.ts$|version\\.ts$|rule-engine\\.ts$)' },
  { name: 'config', path: '^src/config/' },
  { name: 'diagnose', path: '^src/diagnose/' },
  { name: 'report', path: '^src/report/' },
  { name: 'adapters', path: '^src/(smtp|resend|dns|probe|sandbox)/' },
  { name: 'checks', path: '^src/checks/' },
  { name: 'render', path: '^src/render/' },
  { name: 'interactive', path: '^src/interactive/' },
  { name: 'commands', path: '^src/commands/' },
  // The two entry points: the CLI (bin/mailcheck.cjs) and the library (package.json `exports`).
  { name: 'cli', path: '^src/(cli|api)\\.ts$' },
];

const upward = layers.flatMap((lower, i) =>
  layers.slice(i + 1).map((higher) => ({
    name: `${lower.name}-not-to-${higher.name}`,
    comment: `${lower.name} is below ${higher.name}: the dependency must point down`,
    severity: 'error',
    from: { path: lower.path },
    to: { path: higher.path },
  })),
);

module.exports = {
  forbidden: [
    { name: 'no-cycles', comment: 'a cycle makes two modules one', severity: 'error', from: {}, to: { circular: true } },
    { name: 'src-not-to-test', comment: 'test code stays out of the product', severity: 'error', from: { path: '^src/' }, to: { path: '^test/' } },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
