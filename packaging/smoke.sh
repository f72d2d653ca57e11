#!/usr/bin/env bash
# Smoke test of the bundle that packaging/build.sh made (packaging/dist/cytomoe/).
#
#   packaging/smoke.sh [FCS_FILE] [--no-train] [--batch] [--term-training]
#
# FCS_FILE defaults to ../shared/data/plates/yeast/Yeast_B1_B01.fcs beside the repository.
# The bundle runs with a bare environment (PATH=/usr/bin:/bin, a fresh HOME, no Python
# variables), so nothing of a Python installation is on hand. It checks:
#   1. `cytomoe --version` answers;
#   2. `cytomoe info FILE` names the file and its event count, equal to the file's $TOT;
#   3. `cytomoe gui --demo` under Xvfb: a window titled "cytomoe: <demo plate>" appears
#      once the demo data is loaded, a screenshot is taken, the process maps no file of the
#      build venv, it is still alive after SETTLE seconds and ends on SIGTERM within 10 s
#      leaving no process behind;
#   4. (unless --no-train) the same with CYTOMOE_BUNDLE_SMOKE=train: the app trains on the
#      demo data in its spawn child process (multiprocessing in the frozen app), prints the
#      clusters it found and quits with status 0 (a screenshot is taken before it quits);
#   5. (with --batch) `cytomoe batch --workers 2` on FCS_FILE and a second file of its folder,
#      short training: the Dask worker processes of the frozen app finish both plates;
#   6. (with --term-training) SIGTERM to the app in the middle of training leaves no process
#      behind.
# Needs: Xvfb, xwininfo (x11-utils), import (imagemagick) or xwd (x11-apps), e.g.
#   apt-get install -y xvfb x11-utils x11-apps imagemagick libxcb-icccm4 libxcb-keysyms1 \
#       libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0 libxcb-render-util0 libxcb-shape0
# Screenshots and logs go to packaging/smoke-out/. Exit status 0 when every check passed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/packaging/smoke-out
BUNDLE=${BUNDLE:-$ROOT/packaging/dist/cytomoe}
EXE=$BUNDLE/cytomoe
SETTLE=${SETTLE:-10}
WINDOW_TIMEOUT=${WINDOW_TIMEOUT:-240}
TRAIN_TIMEOUT=${TRAIN_TIMEOUT:-1200}

fcs=$ROOT/../shared/data/plates/yeast/Yeast_B1_B01.fcs
train=1
batch=0
term_training=0
for arg in "$@"; do
    case $arg in
        --no-train) train=0 ;;
        --batch) batch=1 ;;
        --term-training) term_training=1 ;;
        -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
        *) fcs=$arg ;;
    esac
done

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[[ -x $EXE ]] || { echo "no bundle at $EXE: run packaging/build.sh first" >&2; exit 2; }
[[ -f $fcs ]] || { echo "no FCS file at $fcs (give one as the argument)" >&2; exit 2; }
for tool in Xvfb xwininfo; do
    command -v $tool >/dev/null || { echo "$tool is missing (see the header)" >&2; exit 2; }
done
rm -rf "$OUT"
mkdir -p "$OUT/home"

# A bare environment: no Python on PATH, no PYTHON* variables, a fresh home.
bare=(env -i "HOME=$OUT/home" "PATH=/usr/bin:/bin" "LANG=C.UTF-8" "TMPDIR=${TMPDIR:-/tmp}")

echo "bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"

# 1. --version
if version=$("${bare[@]}" "$EXE" --version 2>&1); then
    pass "cytomoe --version: $version"
else
    fail "cytomoe --version: $version"
fi

# 2. info
start=$(date +%s%N)
info=$("${bare[@]}" "$EXE" info "$fcs" 2>&1)
status=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "$info" > "$OUT/info.txt"
echo "cytomoe info ($ms ms, status $status):"
echo "$info" | sed 's/^/    /'
# $TOT from the file's TEXT segment; delimiters that are not printable become '|'.
tot=$(head -c 65536 "$fcs" | tr -c '[:print:]' '|' | grep -a -i -o -E '\$TOT[^0-9]{1,3}[0-9]+' \
    | head -1 | grep -o -E '[0-9]+$')
events=$(echo "$info" | grep -o -E '[0-9]+ events' | head -1 | cut -d' ' -f1)
if [[ $status -eq 0 && $info == *"$(basename "$fcs")"* && -n $events ]]; then
    if [[ -z $tot || $events == "$tot" ]]; then
        pass "cytomoe info names $(basename "$fcs") and its $events events (\$TOT ${tot:-?})"
    else
        fail "cytomoe info says $events events, the file's \$TOT is $tot"
    fi
else
    fail "cytomoe info (status $status) did not name the file and an event count"
fi

# Xvfb on a free display
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 3>"$OUT/display" &
xvfb=$!
for _ in $(seq 50); do [[ -s $OUT/display ]] && break; sleep 0.2; done
display=:$(head -1 "$OUT/display")
trap 'kill $xvfb 2>/dev/null' EXIT
echo "Xvfb on $display"
x=("${bare[@]}" "DISPLAY=$display")

window_title() {  # the title of the app's main window, if any
    # Qt also makes an unmapped group-leader window named after the app: prefer the titled one.
    DISPLAY=$display xwininfo -root -tree 2>/dev/null | grep -o -E '"cytomoe[^"]*"' | LC_ALL=C sort -r \
        | head -1
}

screenshot() {
    if command -v import >/dev/null; then
        DISPLAY=$display import -window root "$1.png" 2>/dev/null && echo "$1.png"
    elif command -v xwd >/dev/null; then
        DISPLAY=$display xwd -root -silent -out "$1.xwd" && echo "$1.xwd"
    fi
}

descendants() {  # process ids below $1
    local child
    for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done
}

# 3. gui --demo: window, screenshot, alive, SIGTERM
start=$(date +%s)
"${x[@]}" "$EXE" gui --demo >"$OUT/gui.log" 2>&1 &
gui=$!
title=""
while (($(date +%s) - start < WINDOW_TIMEOUT)) && kill -0 $gui 2>/dev/null; do
    title=$(window_title)
    [[ $title == '"cytomoe: '* ]] && break
    sleep 1
done
loaded=$(($(date +%s) - start))
if [[ $title == '"cytomoe: '* ]]; then
    pass "gui --demo: window $title after $loaded s (demo data loaded)"
else
    fail "gui --demo: no window with the demo data after $loaded s (title: ${title:-none})"
fi
sleep "$SETTLE"
shot=$(screenshot "$OUT/gui-demo")
[[ -n $shot ]] && echo "screenshot: $shot"
if grep -q '/.build-venv/' "/proc/$gui/maps" 2>/dev/null; then
    fail "gui --demo maps files of the build venv"
fi
if kill -0 $gui 2>/dev/null; then
    pass "gui --demo alive $SETTLE s after the window appeared"
    kids=$(descendants $gui)
    kill -TERM $gui
    for _ in $(seq 100); do kill -0 $gui 2>/dev/null || break; sleep 0.1; done
    if kill -0 $gui 2>/dev/null; then
        fail "gui --demo still running 10 s after SIGTERM"
        kill -KILL $gui
    else
        wait $gui
        status=$?
        for _ in $(seq 30); do  # the app's child processes see it end and follow at once
            left=$(for pid in $kids; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done)
            [[ -z $left ]] && break
            sleep 0.1
        done
        if [[ -n $left ]]; then
            fail "gui --demo ended on SIGTERM (status $status) but left processes: $left"
        else
            pass "gui --demo ended on SIGTERM (status $status), no process left behind"
        fi
    fi
else
    wait $gui
    fail "gui --demo exited early with status $?"
fi
if grep -q -E 'Traceback|Error' "$OUT/gui.log"; then
    fail "gui --demo wrote errors (see $OUT/gui.log)"
fi
echo "gui.log:"; sed 's/^/    /' "$OUT/gui.log" | tail -20

# 4. training in the frozen app's child process
if ((train)); then
    start=$(date +%s)
    timeout "$TRAIN_TIMEOUT" "${x[@]}" CYTOMOE_BUNDLE_SMOKE=train CYTOMOE_BUNDLE_SMOKE_HOLD=8 \
        "$EXE" gui --demo >"$OUT/train.log" 2>&1 &
    trainer=$!
    while kill -0 $trainer 2>/dev/null; do
        if grep -q '^cytomoe-smoke: trained' "$OUT/train.log"; then
            sleep 3
            shot=$(screenshot "$OUT/gui-trained")
            [[ -n $shot ]] && echo "screenshot: $shot"
            break
        fi
        sleep 1
    done
    wait $trainer
    status=$?
    seconds=$(($(date +%s) - start))
    echo "train.log:"; sed 's/^/    /' "$OUT/train.log" | tail -20
    if [[ $status -eq 0 ]] && grep -q '^cytomoe-smoke: trained' "$OUT/train.log"; then
        pass "gui --demo trained in its child process and quit in $seconds s"
    else
        fail "gui --demo training: status $status after $seconds s (see $OUT/train.log)"
    fi
fi

# 5. (with --batch) `cytomoe batch --workers 2` on two plates: Dask worker processes of the
#    frozen app (also multiprocessing's spawn), short training.
if ((batch)); then
    second=$(ls "$(dirname "$fcs")"/*.fcs | grep -v -F "$fcs" | head -1)
    sed -e 's/^iterations = .*/iterations = 200/' -e 's/^n_experts = .*/n_experts = 8/' \
        "$ROOT/resources/examples/analysis.toml" >"$OUT/small.toml"
    start=$(date +%s)
    timeout "$TRAIN_TIMEOUT" "${bare[@]}" "$EXE" batch "$fcs" "$second" --config \
        "$OUT/small.toml" --out "$OUT/batch" --workers 2 --quiet >"$OUT/batch.txt" 2>&1
    status=$?
    seconds=$(($(date +%s) - start))
    sed 's/^/    /' "$OUT/batch.txt" | tail -8
    if [[ $status -eq 0 ]] && grep -q '^2 of 2 plate(s) finished' "$OUT/batch.txt"; then
        pass "batch --workers 2 finished both plates on Dask in $seconds s"
    else
        fail "batch --workers 2: status $status after $seconds s (see $OUT/batch.txt)"
    fi
    # Where this cytomoe writes clusters.h5ad (anndata, h5py) and report.html (Pillow PNGs).
    if [[ -f $ROOT/cytomoe/core/analysis/result_files.py ]]; then
        for name in "$(basename "$fcs" .fcs)" "$(basename "$second" .fcs)"; do
            folder=$OUT/batch/$name
            if [[ $(head -c 4 "$folder/clusters.h5ad" 2>/dev/null | od -An -c | tr -d ' ') \
                == '211HDF' && -s $folder/report.html ]] \
                && grep -q 'data:image/png;base64' "$folder/report.html"; then
                pass "batch wrote $name/clusters.h5ad (HDF5) and report.html with figures"
            else
                fail "batch: $name lacks clusters.h5ad or report.html: $(ls "$folder" 2>&1)"
            fi
        done
    fi
fi

# 6. (with --term-training) SIGTERM to the app while it trains: no process may be left
#    behind (the training child and multiprocessing's resource tracker included).
if ((term_training)); then
    # no embedding cache: the signal comes at its first step, seconds before it can end
    "${x[@]}" CYTOMOE_BUNDLE_SMOKE=train CYTOMOE_CACHE_DIR= "$EXE" gui --demo \
        >"$OUT/term.log" 2>&1 &
    app=$!
    for _ in $(seq $((WINDOW_TIMEOUT * 10))); do
        grep -q 'training under way' "$OUT/term.log" && break
        sleep 0.1
    done
    kids=$(descendants $app)
    running=0
    kill -0 $app 2>/dev/null && running=1
    kill -TERM $app
    sleep 10
    left=$(for pid in $kids; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done)
    if ((!running)) || [[ -z $kids ]]; then
        fail "SIGTERM while training: the app was not training with a child process then"
    elif [[ -z $left ]]; then
        pass "SIGTERM while training: the app and its $(echo $kids | wc -w) child process(es) ended"
    else
        fail "SIGTERM while training left processes behind: $(ps -o pid=,args= -p \
            "$(echo $left | tr ' ' ,)" | cut -c1-100 | tr '\n' ';')"
        kill -KILL $left 2>/dev/null
    fi
    kill -KILL $app 2>/dev/null
fi

if ((failures)); then
    echo "smoke: $failures check(s) failed"
    exit 1
fi
echo "smoke: all checks passed"
