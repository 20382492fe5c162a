#!/usr/bin/env bash
# Runs the reliability tests (the fault harness, aliases, hostile inputs, planted secrets) with a
# ledger and writes docs/reliability.md from what they recorded: every figure there comes from
# this run. Needs root (loop devices, FUSE), like CI.
#   scripts/reliability-report.sh            (writes docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")/.."
ledger="$(mktemp /tmp/edgeflash-reliability.XXXXXX)"
trap 'rm -f "$ledger"' EXIT
suites='FaultInjectionTests|AliasRefusalTests|HostileInputTests|EFIBootLoadersTests|InjectHostileInputTests|HostileBuildInputTests|SecretsTests|noCommandPrints|writePrints'
EDGEFLASH_RELIABILITY_LOG="$ledger" swift test --no-parallel --filter "$suites" 2>&1 | tail -n 1 | tee "$ledger.result"
/usr/bin/python3 - "$ledger" "$ledger.result" > docs/reliability.md <<'PY'
import collections, json, subprocess, sys, datetime
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    entry = json.loads(line)
    row = rows.setdefault(entry["kind"], collections.Counter())
    row[entry["outcome"]] += entry.get("count", 1)
    row["cases"] += 0
result = open(sys.argv[2]).read().strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print("# Reliability: what was tried, and what came of it\n")
print("Written by `scripts/reliability-report.sh` from the ledger its test run kept "
      f"(`ReliabilityLedger`, one line per case), on {datetime.date.today()} at commit {commit}.")
print(f"The test run ended: `{result}`\n")
print("| what | tried | caught (documented status) | left blank after a failure | refused with the stick untouched | handled without a crash | missed | left bootable | crashes | hangs | leaks |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
totals = collections.Counter()
for kind, c in rows.items():
    tried = c["caught"] + c["missed"] + c["handled"] + c["crash"] + c["hang"] + c["leak"]
    cells = [tried, c["caught"], c["leftBlank"], c["leftUntouched"], c["handled"], c["missed"], c["leftBootable"], c["crash"], c["hang"], c["leak"]]
    for name, value in zip(["tried", "caught", "leftBlank", "leftUntouched", "handled", "missed", "leftBootable", "crash", "hang", "leak"], cells):
        totals[name] += value
    print(f"| {kind} | " + " | ".join(str(v) for v in cells) + " |")
print("| **all** | " + " | ".join(str(totals[n]) for n in ["tried", "caught", "leftBlank", "leftUntouched", "handled", "missed", "leftBootable", "crash", "hang", "leak"]) + " |")
print("""
How to read it: a *write fault* is one fault injected at one phase of a write on a FUSE-served
faulty stick (`scripts/fixtures/faultydisk.py`: I/O errors, lost writes, wrap-around, slow writes,
the stick pulled, at the clear, body, first-MiB, read-back and inject phases); *caught* means the
write ended with the documented exit status and message, *left blank* that the stick's first MiB
read back as zeros afterwards (blkid finds nothing), *untouched* that a refusal before writing left
the old stick byte for byte. *Hostile* rows count seeded mutants (image bytes, FAT images, stick
tables after inject) and hostile build inputs (alias bombs through every command); *planted
secrets* counts each secret grepped in each command's output. A crash, a hang, a leak, a missed
fault or a stick left bootable would each fail the test that recorded it.
""")
PY
echo "wrote docs/reliability.md"
