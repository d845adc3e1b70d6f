// The command line: `--only a,b` (or `--only=a,b`) names the rows to run.

/** The rows to run (a Set of ids), or undefined for all of them; exits on an unknown id. */
export function onlyRows(argv, ids) {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return undefined;
  const list = argv[i].startsWith('--only=') ? argv[i].slice('--only='.length) : argv[i + 1];
  const rows = (list ?? '').split(',').filter(Boolean);
  const unknown = rows.filter((r) => !ids.includes(r));
  if (rows.length === 0 || unknown.length > 0) {
    console.error(`--only takes a comma-separated list of: ${ids.join(', ')}`);
    process.exit(2);
  }
  return new Set(rows);
}
