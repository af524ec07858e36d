"""Every stage that builds the shipped models, in dependency order:

python -m training.all [--vq-minutes 32] [--target-minutes 70] [--target-total-minutes 130] [--evaluator-minutes 15] [--draft-minutes 55] [--device cpu|cuda: every trainer and generate]
python -m training.all --dry-run      # print the commands only
python -m training.all --from generate      # that stage and every later one (after more target training: new
                                            # target samples, re-distil the drafts against it, re-export, re-measure,
                                            # new fixtures and samples)

dataset -> VQ (train + export decoder.onnx, codebook) -> tokens -> text encoder + target (training/vocabulary.py's concepts)
-> evaluator (train + export) -> target-generated images for the drafts -> Hawk and ablation drafts (distil together, export) -> app export (target, text, manifest with the drafts, golden)
-> draft evaluation (the model card's tables: validation captions, then the learnt ones) -> engine test fixtures -> the model card's sample grid.
Each trainer checkpoints to training/out/ and resumes with its own --resume (see training/README.md).
"""
import argparse
import subprocess
import sys


TARGET_RECIPE = ["--labels", "vocabulary", "--core-only", "--flip", "0.5", "--shift", "0.5"]


def stages(a) -> list[list[str]]:
    return [
        ["training.data"],
        ["training.train_vq", "--minutes", a.vq_minutes, "--device", a.device],
        ["training.tokenize"],
        ["training.train_target", "--minutes", a.target_minutes, "--device", a.device, *TARGET_RECIPE],
        # The shipped target ran twice: 70 min, then resumed to 130 (the schedule picks up at 70 of 130 minutes).
        ["training.train_target", "--resume", "--minutes", a.target_total_minutes, "--device", a.device, *TARGET_RECIPE],
        ["training.train_evaluator", "--minutes", a.evaluator_minutes, "--device", a.device],
        ["training.generate", "--device", a.device],
        ["training.train_draft", "--variant", "both", "--minutes", a.draft_minutes, "--device", a.device],
        ["training.train_draft", "--variant", "both", "--export"],
        ["training.export"],  # after the drafts: the manifest lists them
        ["training.eval_draft"],
        ["training.eval_draft", "--decode", "learnt"],  # decoding what the app asks users for
        ["training.fixtures"],
        ["training.sample", "--model-card"],
    ]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--vq-minutes", default="32")
    ap.add_argument("--target-minutes", default="70")
    ap.add_argument("--target-total-minutes", default="130", help="the resumed run's total budget (--target-minutes included)")
    ap.add_argument("--evaluator-minutes", default="15")
    ap.add_argument("--draft-minutes", default="55")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--from", dest="start", default=None, help="start at this stage's module (e.g. generate)")
    a = ap.parse_args(argv)
    todo = stages(a)
    if a.start:
        names = [args[0].removeprefix("training.") for args in todo]
        if a.start.removeprefix("training.") not in names:
            ap.error(f"--from {a.start}: no such stage; stages: {', '.join(dict.fromkeys(names))}")
        todo = todo[names.index(a.start.removeprefix("training.")):]
    for args in todo:
        print("+ python -m", " ".join(args), flush=True)
        if not a.dry_run:
            subprocess.run([sys.executable, "-m", *args], check=True)


if __name__ == "__main__":
    main()
