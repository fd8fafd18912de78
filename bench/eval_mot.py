#!/usr/bin/env python3
"""Score the kiosk's people tracker on an annotated clip: MOTA, IDF1 (IoU 0.5) and ms/frame.

    python bench/eval_mot.py                                  # PETS 2009 S3-MF1, 1 warm-up pass
    python bench/eval_mot.py --video V.avi --gt gt.txt --warmup-passes 1
    python bench/eval_mot.py --tracks t.txt                   # score an existing MOT file
    python bench/eval_mot.py --repeat 5                       # timing: median of 5 runs
    python bench/eval_mot.py --baseline det                   # peer: det.txt + greedy IoU

Metrics come from TrackEval (``trackeval`` 1.3.0 on PyPI, the MOTChallenge evaluation code,
maintained fork that runs on NumPy 2): its CLEAR (MOTA) and Identity (IDF1) metrics, fed with
IoU similarity per frame and the 0.5 threshold. No distractor classes or crowd regions are
removed: every gt row counts (PETS's gt has none).

Timing: the vision stage (background, people, tracking, flow, mask) per processing-size frame on
one thread (``cv2.setNumThreads(1)``), median over frames, then median over ``--repeat`` runs;
the resize from camera size and the video decode are reported apart. The machine may be shared:
say so when quoting numbers.

Exit codes: 0 ok; 1 missing data or library; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
PETS = DATA / "pets2009_s3mf1"


def load_mot(path: str | Path) -> np.ndarray:
    """MOTChallenge rows as ``(N, 6)`` float: frame, id, left, top, width, height."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append([float(v) for v in line.split(",")[:6]])
    return np.array(rows, np.float64).reshape(-1, 6)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from runtime.vision.tracker import iou_matrix

    return iou_matrix(a, b)


def evaluate(gt: np.ndarray, tr: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """MOTA, IDF1 and counts from TrackEval's CLEAR and Identity metrics."""
    from trackeval.metrics import CLEAR, Identity

    frames = int(max(gt[:, 0].max() if len(gt) else 0, tr[:, 0].max() if len(tr) else 0))
    gt_ids = {v: i for i, v in enumerate(sorted(set(gt[:, 1].astype(int))))}
    tr_ids = {v: i for i, v in enumerate(sorted(set(tr[:, 1].astype(int))))}
    data: dict = {"num_timesteps": frames, "num_gt_ids": len(gt_ids),
                  "num_tracker_ids": len(tr_ids), "num_gt_dets": len(gt),
                  "num_tracker_dets": len(tr), "gt_ids": [], "tracker_ids": [],
                  "similarity_scores": []}
    for f in range(1, frames + 1):
        g, t = gt[gt[:, 0] == f], tr[tr[:, 0] == f]
        data["gt_ids"].append(np.array([gt_ids[int(v)] for v in g[:, 1]], int))
        data["tracker_ids"].append(np.array([tr_ids[int(v)] for v in t[:, 1]], int))
        data["similarity_scores"].append(_iou(g[:, 2:6], t[:, 2:6]))
    cfg = {"THRESHOLD": threshold, "PRINT_CONFIG": False}
    clear = CLEAR(cfg).eval_sequence(data)
    ident = Identity(cfg).eval_sequence(data)
    return {"MOTA": float(clear["MOTA"]), "IDF1": float(ident["IDF1"]),
            "MOTP": float(clear["MOTP"]), "FP": int(clear["CLR_FP"]),
            "FN": int(clear["CLR_FN"]), "IDSW": int(clear["IDSW"]),
            "TP": int(clear["CLR_TP"]), "gt": len(gt), "ids": len(tr_ids)}


def greedy_iou_tracker(det: np.ndarray, min_iou: float = 0.3, min_score: float = 0.0
                       ) -> np.ndarray:
    """Peer baseline: link detections frame to frame greedily by IoU (new id when none fits)."""
    out, prev, next_id = [], [], 1
    for f in sorted(set(det[:, 0].astype(int))):
        d = det[(det[:, 0] == f) & (det[:, 6] >= min_score)] if det.shape[1] > 6 else \
            det[det[:, 0] == f]
        cur = []
        taken = set()
        if prev:
            iou = _iou(np.array([p[1] for p in prev]), d[:, 2:6])
            for _ in range(min(len(prev), len(d))):
                i, j = np.unravel_index(np.argmax(iou), iou.shape)
                if iou[i, j] < min_iou:
                    break
                cur.append((prev[i][0], d[j, 2:6]))
                taken.add(j)
                iou[i, :] = -1
                iou[:, j] = -1
        for j in range(len(d)):
            if j not in taken:
                cur.append((next_id, d[j, 2:6]))
                next_id += 1
        out += [[f, i, *b] for i, b in cur]
        prev = cur
    return np.array(out, np.float64).reshape(-1, 6)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--video", type=Path, default=PETS / "pets2009_s3mf1_view001.avi")
    p.add_argument("--gt", type=Path, default=PETS / "gt.txt")
    p.add_argument("--warmup-passes", type=int, default=1)
    p.add_argument("--tracks", type=Path, help="score this MOT file instead of running")
    p.add_argument("--out", type=Path, help="also write the tracker's MOT rows here")
    p.add_argument("--config", type=Path, help="kiosk config whose [camera] table to use")
    p.add_argument("--repeat", type=int, default=1, help="runs for the timing median")
    p.add_argument("--seen-only", action="store_true",
                   help="score only detected people (drop occlusion predictions)")
    p.add_argument("--baseline", choices=("det",), help="score det.txt + greedy IoU instead")
    args = p.parse_args(argv)
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):  # it prints about optional datasets
            import trackeval  # noqa: F401
    except ImportError:
        print("trackeval is not installed: .venv/bin/pip install --no-deps trackeval==1.3.0",
              file=sys.stderr)
        return 1
    if not args.gt.exists():
        print(f"no ground truth at {args.gt} (../shared/data absent?)", file=sys.stderr)
        return 1
    gt = load_mot(args.gt)
    if args.baseline == "det":
        det = np.loadtxt(args.gt.parent / "det.txt", delimiter=",", ndmin=2)
        res = evaluate(gt, greedy_iou_tracker(det))
        print(f"baseline det.txt + greedy IoU: MOTA {res['MOTA']:.3f}  IDF1 {res['IDF1']:.3f}")
        return 0
    if args.tracks is not None:
        res = evaluate(gt, load_mot(args.tracks))
        print(_fmt(res))
        return 0
    import cv2

    from runtime.vision.track_cli import load_camera_config, track_video, write_mot

    cv2.setNumThreads(1)
    cfg = load_camera_config(args.config)
    runs = []
    for _ in range(max(1, args.repeat)):
        runs.append(track_video(args.video, cfg, warmup_passes=args.warmup_passes,
                                include_occluded=not args.seen_only))
    r = runs[0]
    if args.out is not None:
        write_mot(r.rows, args.out)
    tr = np.array([row[:6] for row in r.rows], np.float64).reshape(-1, 6)
    res = evaluate(gt, tr)
    vision = statistics.median(statistics.median(x.vision_ms) for x in runs)
    p95 = statistics.median(float(np.percentile(x.vision_ms, 95)) for x in runs)
    resize = statistics.median(statistics.median(x.resize_ms) for x in runs)
    print(_fmt(res))
    print(f"vision stage {vision:.2f} ms/frame (median; p95 {p95:.2f}) at "
          f"{'x'.join(map(str, _proc_size(cfg, r.size)))}, one thread; resize from "
          f"{r.size[0]}x{r.size[1]} {resize:.2f} ms; {r.frames} frames, {len(runs)} run(s)")
    return 0


def _proc_size(cfg, size):
    from runtime.vision.processor import fit_size

    return fit_size(size, cfg.process_size_px)


def _fmt(res: dict) -> str:
    return (f"MOTA {res['MOTA']:.3f}  IDF1 {res['IDF1']:.3f}  MOTP {res['MOTP']:.3f}  "
            f"FP {res['FP']}  FN {res['FN']}  IDSW {res['IDSW']}  TP {res['TP']}/{res['gt']}  "
            f"ids {res['ids']}  (TrackEval CLEAR+Identity, IoU 0.5)")


if __name__ == "__main__":
    sys.exit(main())
