# Sourced by the bench scripts: every tool run once per round, in an order rotated every round so no
# tool always follows the same one, wall-clock seconds collected per tool, medians taken.
#
#   tools=(a b)  # each with a function run_a, run_b
#   run_rounds ROUNDS; then ${med[a]}, and ${times[a]} (every round's seconds)

declare -A times med
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

run_rounds() {
  local round i tool t n=${#tools[@]}
  for round in $(seq 1 "$1"); do
    for i in $(seq 0 $((n - 1))); do
      tool=${tools[$(((i + round) % n))]}
      t=$(seconds "run_$tool")
      times[$tool]="${times[$tool]:-} $t"
      printf 'round %d  %-14s %6.2f s\n' "$round" "$tool" "$t" >&2
    done
  done
  for tool in "${tools[@]}"; do med[$tool]=$(echo "${times[$tool]}" | median); done
}
