"""training.all runs every stage, each after the stages whose outputs it reads."""
import subprocess
import sys

from training import all as all_stages


def test_dry_run_lists_every_stage_in_dependency_order():
    out = subprocess.run([sys.executable, "-m", "training.all", "--dry-run", "--target-minutes", "5", "--device", "cuda"],
                         check=True, capture_output=True, text=True).stdout
    commands = [line.removeprefix("+ python -m ").split() for line in out.splitlines()]
    modules = [c[0] for c in commands]
    # Every stage module of training/ that builds a shipped file or a model-card number appears.
    for m in ["training.data", "training.train_vq", "training.tokenize", "training.train_target", "training.train_evaluator",
              "training.generate", "training.train_draft", "training.export", "training.eval_draft", "training.fixtures", "training.sample"]:
        assert m in modules, m
    first = modules.index
    assert first("training.data") < first("training.train_vq") < first("training.tokenize") < first("training.train_target")
    assert first("training.train_target") < first("training.generate") < first("training.train_draft")  # the draft distils
    # the trained target, also on images it generated
    draft_export = commands.index(["training.train_draft", "--variant", "both", "--export"])
    assert commands.index(["training.train_draft", "--variant", "both", "--minutes", "55", "--device", "cuda"]) < draft_export < first("training.export")
    assert first("training.export") < first("training.eval_draft")
    assert ["training.train_target", "--minutes", "5", "--device", "cuda", "--labels", "vocabulary", "--core-only", "--flip", "0.5",
            "--shift", "0.5"] in commands  # the shipped recipe: training/vocabulary.py's concepts
    resumed = commands.index(["training.train_target", "--resume", "--minutes", "130", "--device", "cuda", "--labels", "vocabulary",
                              "--core-only", "--flip", "0.5", "--shift", "0.5"])  # ... resumed to 130 minutes in all
    assert first("training.train_target") < resumed < first("training.generate")
    assert ["training.generate", "--device", "cuda"] in commands
    assert ["training.train_vq", "--minutes", "32", "--device", "cuda"] in commands
    assert ["training.train_evaluator", "--minutes", "15", "--device", "cuda"] in commands
    assert ["training.train_draft", "--variant", "both", "--minutes", "55", "--device", "cuda"] in commands


def test_stage_modules_exist():
    import importlib.util
    class A:  # the defaults
        vq_minutes = target_minutes = target_total_minutes = evaluator_minutes = draft_minutes = "1"
        device = "cpu"
    for args in all_stages.stages(A()):
        assert importlib.util.find_spec(args[0]) is not None, args[0]


def test_from_starts_at_a_stage_and_keeps_everything_after_it():
    out = subprocess.run([sys.executable, "-m", "training.all", "--dry-run", "--from", "generate"],
                         check=True, capture_output=True, text=True).stdout
    modules = [line.removeprefix("+ python -m ").split()[0] for line in out.splitlines()]
    assert modules == ["training.generate", "training.train_draft", "training.train_draft", "training.export", "training.eval_draft",
                       "training.eval_draft", "training.fixtures", "training.sample"]
    bad = subprocess.run([sys.executable, "-m", "training.all", "--dry-run", "--from", "nothing"], capture_output=True, text=True)
    assert bad.returncode != 0 and "no such stage" in bad.stderr
