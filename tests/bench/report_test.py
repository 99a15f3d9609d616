#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/bench-report's verdicts, from canned raw.log lines.

What results.json says of a target is the contract the benchmarks' users
read: "met" is true only when every figure the target names was measured
and meets it, false when one misses it, null when one was not measured
or the run was a smoke run.  Run by make check (scripts/check.sh).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REPORT = os.path.join(TOP, "scripts", "bench-report")


VDPA_PATHS = ("vdpa_virtio_net", "vdpa_vhost")


def guest_rx(vfio, other, vdpa=None):
    """guest_rx lines: the VFIO queue at VFIO, the vDPA paths at VDPA
    (VFIO's if None), every other path at OTHER."""
    lines = []
    for size in (64, 1500):
        lines.append(f"BENCH guest_rx vfio_{size} {vfio}")
        for path in VDPA_PATHS:
            lines.append(f"BENCH guest_rx {path}_{size} "
                         f"{vfio if vdpa is None else vdpa}")
        for path in ("afpacket_offload", "afpacket_sw_veth", "afxdp_veth",
                     "macvtap"):
            lines.append(f"BENCH guest_rx {path}_{size} {other}")
    return lines


def guest_rx_cpu(vmq, other):
    """guest_rx_cpu lines: every vmq path at VMQ ns, the others at OTHER."""
    return [f"BENCH guest_rx_cpu {path}_{size} "
            f"{vmq if path in ('vfio',) + VDPA_PATHS else other}"
            for size in (64, 1500)
            for path in ("vfio",) + VDPA_PATHS +
            ("afpacket_offload", "afpacket_sw_veth", "afxdp_veth",
             "macvtap")]


def macvlan(counts, on, off):
    """macvlan_offload lines, with a host CPU figure for each."""
    return [f"BENCH {m} {state}_{n} {rate}"
            for n in counts for state, rate in (("on", on), ("off", off))
            for m in ("macvlan_offload", "macvlan_offload_cpu")]


ROLES = "BENCHINFO meta cpu_roles generator 0, host 1,2, nic 3"


def mark(tag, per_cpu):
    """A vmq_insns mark line: PER_CPU is [(user, kernel)] by vCPU."""
    return f"mark {tag} 0 " + " ".join(f"{u} {k}" for u, k in per_cpu)


def insn_run(windows):
    """raw.log lines and insns.log lines for macvlan_offload windows:
    WINDOWS is [(case, frames, [(user, kernel)] by vCPU spent)]."""
    raw, marks, now = [ROLES], [], [(0, 0)] * 4
    if not any(case == "on_1" for case, _, _ in windows):
        # What a run must have, or the bench is broken.
        windows = [("on_1", 1, [(0, 1)] * 4),
                   ("off_1", 1, [(0, 1)] * 4)] + windows
    for i, (case, frames, spent) in enumerate(windows):
        marks.append(mark(2 * i, now))
        now = [(u + du, k + dk) for (u, k), (du, dk) in zip(now, spent)]
        marks.append(mark(2 * i + 1, now))
        raw += [f"BENCH macvlan_offload {case} 1000",
                f"BENCH macvlan_offload_cpu {case} 10",
                f"BENCHINSN macvlan_offload {case} {2 * i} {2 * i + 1} "
                f"{frames}"]
    return raw, marks


class Verdicts(unittest.TestCase):
    def report(self, lines, *metrics, smoke=False, marks=None):
        """results.json of a report on LINES, limited to METRICS, with
        MARKS as the vmq_insns plugin's file if given."""
        with tempfile.TemporaryDirectory() as out:
            with open(os.path.join(out, "raw.log"), "w") as f:
                f.write("BENCHINFO meta mode %s\n" %
                        ("smoke" if smoke else "full"))
                f.write("\n".join(lines) + "\n")
            if marks is not None:
                with open(os.path.join(out, "insns.log"), "w") as f:
                    f.write("\n".join(marks) + "\n")
            args = [REPORT] + (["--smoke"] if smoke else []) + [out]
            subprocess.run(args + list(metrics), check=True,
                           stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "results.json")) as f:
                return json.load(f)

    def test_met(self):
        res = self.report(guest_rx(300, 100), "guest_rx")
        self.assertIs(res["guest_rx"]["met"], True)
        self.assertEqual(res["guest_rx"]["ratio"]["64B"], 3.0)

    def test_missed(self):
        res = self.report(guest_rx(150, 100), "guest_rx")
        # 1.5 meets the 1500B target (>= 1.5) and misses 64B's (>= 2.0).
        self.assertIs(res["guest_rx"]["met"], False)

    def test_best_other_is_any_path(self):
        # Every path but VFIO competes: AF_XDP's best is the one here.
        lines = [line.replace(" 100", " 200")
                 if " afxdp_veth_" in line else line
                 for line in guest_rx(300, 100)]
        res = self.report(lines, "guest_rx")
        self.assertEqual(res["guest_rx"]["ratio"]["64B"], 1.5)
        self.assertEqual(res["guest_rx"]["ratio"]["1500B"], 1.5)

    @staticmethod
    def smoke_rc(lines, metric, marks=None):
        """The exit status of a smoke report on LINES, limited to METRIC,
        with MARKS as the vmq_insns plugin's file if given."""
        with tempfile.TemporaryDirectory() as out:
            with open(os.path.join(out, "raw.log"), "w") as f:
                f.write("\n".join(lines) + "\n")
            if marks is not None:
                with open(os.path.join(out, "insns.log"), "w") as f:
                    f.write("\n".join(marks) + "\n")
            return subprocess.run([REPORT, "--smoke", out, metric],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode

    def test_kernel_only_path_missing(self):
        # AF_XDP needs nothing but the kernel: no figure is a broken bench.
        lines = [line for line in guest_rx(300, 100)
                 if " afxdp_veth_64 " not in line]
        self.assertEqual(self.smoke_rc(lines, "guest_rx"), 1)

    def test_vdpa_paths_ratios(self):
        # Each vDPA path has its own ratio over the best other path.
        res = self.report(guest_rx(300, 100, vdpa=250), "guest_rx")
        ratio = res["guest_rx"]["ratio"]
        for path in VDPA_PATHS:
            self.assertEqual(ratio[f"{path}_64B"], 2.5)
            self.assertEqual(ratio[f"{path}_1500B"], 2.5)
        self.assertEqual(ratio["64B"], 3.0)
        self.assertIs(res["guest_rx"]["met"], True)

    def test_vdpa_path_missed(self):
        # The VFIO queue meets both targets, a vDPA path misses 64B's.
        lines = [line.replace(" 300", " 150")
                 if " vdpa_vhost_64 " in line else line
                 for line in guest_rx(300, 100)]
        res = self.report(lines, "guest_rx")
        self.assertEqual(res["guest_rx"]["ratio"]["vdpa_vhost_64B"], 1.5)
        self.assertIs(res["guest_rx"]["met"], False)

    def test_vdpa_is_no_other_path(self):
        # A vDPA path faster than VFIO is not what VFIO is held against.
        res = self.report(guest_rx(300, 100, vdpa=1000), "guest_rx")
        self.assertEqual(res["guest_rx"]["ratio"]["64B"], 3.0)
        self.assertEqual(res["guest_rx"]["ratio"]["vdpa_virtio_net_64B"],
                         10.0)

    def test_vdpa_not_measured(self):
        # A kernel without vDPA: not measured, with the reason; the
        # target is then not checked, and the bench is not broken.
        lines = [line for line in guest_rx(300, 100)
                 if " vdpa_" not in line]
        lines += [f"BENCHNA guest_rx {p}_{s} kernel 6.1 has no vDPA bus"
                  for p in VDPA_PATHS for s in (64, 1500)]
        res = self.report(lines, "guest_rx")
        case = res["guest_rx"]["cases"]["vdpa_vhost_64"]
        self.assertIs(case["measured"], False)
        self.assertEqual(case["reason"], "kernel 6.1 has no vDPA bus")
        self.assertIsNone(res["guest_rx"]["ratio"]["vdpa_vhost_64B"])
        self.assertEqual(res["guest_rx"]["ratio"]["64B"], 3.0)
        self.assertIsNone(res["guest_rx"]["met"])

    def test_vdpa_cpu(self):
        # Host CPU per frame: each vmq path over the cheapest other,
        # reported; the instruction figures carry the target.
        res = self.report(guest_rx_cpu(10, 100), "guest_rx_cpu")
        self.assertEqual(res["guest_rx_cpu"]["ratio"]["vdpa_vhost_1500B"],
                         0.1)
        self.assertEqual(res["guest_rx_cpu"]["target"], "reported")
        self.assertIsNone(res["guest_rx_cpu"]["met"])

    def test_smoke_checks_nothing(self):
        res = self.report(guest_rx(300, 100), "guest_rx", smoke=True)
        self.assertIsNone(res["guest_rx"]["met"])

    def test_metric_not_run(self):
        res = self.report(guest_rx(300, 100), "guest_rx")
        self.assertIsNone(res["macvlan_offload"]["met"])
        self.assertIsNone(res["filter_scaling"]["met"])

    def test_cpu_figure_missing(self):
        # The host CPU figures need nothing but the kernel either.
        lines = [line for line in macvlan((1, 8), 200, 100)
                 if "_cpu " not in line]
        self.assertEqual(self.smoke_rc(lines, "macvlan_offload"), 1)
        self.assertEqual(self.smoke_rc(macvlan((1, 8), 200, 100),
                                       "macvlan_offload"), 0)

    def test_insn_figures(self):
        # Per frame: the host CPUs' (1, 2) kernel instructions, the NIC
        # CPU's (3) in both modes, and every CPU's in both modes.
        spent = [(7, 1000), (500, 3000), (900, 1000), (20, 80)]
        raw, marks = insn_run([("off_8", 100, spent), ("on_8", 200, spent)])
        res = self.report(raw, "macvlan_offload", marks=marks)
        cases = res["macvlan_offload_insn"]["cases"]
        self.assertEqual(cases["off_8"]["median"], 40)
        self.assertEqual(cases["on_8"]["median"], 20)
        self.assertEqual(res["macvlan_offload_insn_nic"]["cases"]["on_8"]
                         ["median"], 0.5)
        self.assertEqual(res["macvlan_offload_insn_all"]["cases"]["off_8"]
                         ["median"], 65.07)
        self.assertEqual(res["macvlan_offload_insn"]["ratio"]["8"], 0.5)
        self.assertIs(res["macvlan_offload_insn"]["met"], None)

    def test_insn_target(self):
        # <= 0.7 at 8 and 64 macvlans, on the host's kernel instructions.
        def met(on_kernel):
            windows = []
            for n in (8, 64):
                windows += [(f"off_{n}", 10, [(0, 0), (0, 100), (0, 0),
                                              (0, 0)]),
                            (f"on_{n}", 10, [(0, 0), (0, on_kernel),
                                             (0, 0), (0, 0)])]
            raw, marks = insn_run(windows)
            res = self.report(raw, "macvlan_offload", marks=marks)
            return res["macvlan_offload_insn"]["met"]
        self.assertIs(met(70), True)
        self.assertIs(met(71), False)

    def test_insn_marks_missing(self):
        # Marks the plugin never wrote: no figure, and with the plugin's
        # file there, a broken bench; without it (no plugin), not.
        spent = [(0, 10)] * 4
        raw, marks = insn_run([("on_1", 10, spent), ("off_1", 10, spent)])
        self.assertEqual(self.smoke_rc(raw, "macvlan_offload",
                                       marks[:1]), 1)
        self.assertEqual(self.smoke_rc(raw, "macvlan_offload", marks), 0)
        self.assertEqual(self.smoke_rc(raw, "macvlan_offload"), 0)

    def test_insn_mark_twice(self):
        # A tag the guest passed twice belongs to no one window: the
        # window that names it gets no figure (here: a broken bench).
        spent = [(0, 10)] * 4
        raw, marks = insn_run([("on_1", 10, spent), ("off_1", 10, spent)])
        self.assertEqual(self.smoke_rc(raw, "macvlan_offload",
                                       marks + [marks[0]]), 1)

    def test_plot_error_bars(self):
        # Each bar is its median, with the least and the most as its
        # error bar; a path not measured is "-".
        lines = guest_rx(300, 100) + ["BENCH guest_rx vfio_64 200",
                                      "BENCH guest_rx vfio_64 500"]
        lines = [line for line in lines if " macvtap_1500 " not in line]
        with tempfile.TemporaryDirectory() as out:
            with open(os.path.join(out, "raw.log"), "w") as f:
                f.write("\n".join(lines) + "\n")
            subprocess.run([REPORT, out, "guest_rx"], check=True,
                           stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "guest_rx.dat")) as f:
                rows = {r.split()[0]: r.split()[1:] for r in f}
        self.assertEqual(rows["vfio"], ["300", "200", "500",
                                        "300", "300", "300"])
        self.assertEqual(rows["macvtap"], ["100", "100", "100",
                                           "-", "-", "-"])

    def test_target_partly_measured(self):
        # The target is at 8 and 64 macvlans; only 8 ran.
        res = self.report(macvlan((1, 8), 200, 100), "macvlan_offload")
        self.assertIsNone(res["macvlan_offload"]["met"])
        res = self.report(macvlan((1, 8, 64), 200, 100), "macvlan_offload")
        self.assertIs(res["macvlan_offload"]["met"], True)
        res = self.report(macvlan((1, 8, 64), 120, 100), "macvlan_offload")
        self.assertIs(res["macvlan_offload"]["met"], False)


if __name__ == "__main__":
    sys.exit(unittest.main())
